// Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP) as authenticator apps implement
// them: HMAC-SHA-1, 6 digits, 30-second steps, a window of one step either side for clock drift.
// Pure functions of a key and a time; the replay rule (a step is accepted once) is the caller's,
// which stores the last accepted step. Also the RFC 4648 base32 that carries the secret in the
// `otpauth://` URI authenticator apps scan.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::auth::totp {

inline constexpr std::int64_t kStepSeconds = 30;
inline constexpr int kDigits = 6;
inline constexpr int kWindow = 1;  // steps accepted either side of the current one
// RFC 4226 section 4 asks for at least 128 bits and recommends 160: the HMAC-SHA-1 block output.
inline constexpr std::size_t kSecretBytes = 20;

enum class Hash { sha1, sha256, sha512 };

// The HOTP value of `key` at `counter` as `digits` decimal digits with leading zeros (RFC 4226
// section 5.3 dynamic truncation). SHA-256 and SHA-512 are RFC 6238's variants (its test vectors).
std::string hotp(std::string_view key, std::uint64_t counter, int digits = kDigits,
                 Hash hash = Hash::sha1);

// The step of a Unix time: floor(seconds / 30).
std::int64_t step_at(std::int64_t unix_seconds);

// The step within `window` of `unix_seconds`' step whose code is `code`, nullopt when none is.
// Every step of the window is computed and compared in constant time, whatever matches.
std::optional<std::int64_t> match(std::string_view key, std::string_view code,
                                  std::int64_t unix_seconds, int window = kWindow);

// A fresh random secret of kSecretBytes.
std::string new_secret();

// RFC 4648 base32, upper case, without `=` padding (what authenticator apps expect).
std::string base32_encode(std::string_view bytes);
// Accepts either case, spaces and trailing `=` padding; nullopt on any other character or on a
// length no encoding produces.
std::optional<std::string> base32_decode(std::string_view text);

// `otpauth://totp/<issuer>:<account>?secret=<base32>&issuer=<issuer>&algorithm=SHA1&digits=6&
// period=30` (Google Authenticator's key URI format), label and values percent-encoded.
std::string otpauth_uri(std::string_view issuer, std::string_view account,
                        std::string_view secret_base32);

}  // namespace portcullis::auth::totp
