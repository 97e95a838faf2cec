// Opaque one-time tokens (contract 5.6) and the SHA-256 hex digests stored instead of raw tokens
// (contract 5.3: refresh tokens are stored as SHA-256 hex of the JWT text too).
#pragma once

#include <string>
#include <string_view>

namespace portcullis::auth {

// 32 random bytes, base64url without padding (43 characters).
std::string new_one_time_token();

// Lower-case hex SHA-256 of the token text (64 characters).
std::string sha256_hex(std::string_view text);

}  // namespace portcullis::auth
