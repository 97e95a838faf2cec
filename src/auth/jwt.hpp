// HS256 JSON Web Tokens with the claims of contract 5.2 (decisions B.15: `alg` pinned to HS256,
// access tokens must carry `sessionId`; `sub` or the legacy `userId` names the user; decisions
// E.2: every token must carry `iat` and `exp`, as every token the reference or we mint does).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::auth {

enum class JwtError {
    malformed,        // not three base64url parts, bad JSON, wrong claim types
    wrong_algorithm,  // header alg is not HS256 (none, HS384, RS256, ...)
    bad_signature,
    expired,         // now >= exp
    not_yet_valid,   // now < nbf
    missing_claims,  // no iat or exp, no sub/userId, or no sessionId (access) / sid (refresh)
};

struct AccessClaims {
    std::string user_id;     // `sub`, else legacy `userId`
    std::string session_id;  // `sessionId`
    std::int64_t iat = 0;
    std::int64_t exp = 0;
};

struct RefreshClaims {
    std::string user_id;     // `sub`
    std::string session_id;  // `sid`
    std::int64_t iat = 0;
    std::int64_t exp = 0;
    std::string jti;
};

template <typename Claims>
struct Verified {
    std::optional<Claims> claims;  // set when valid
    JwtError error = JwtError::malformed;
    bool ok() const { return claims.has_value(); }
};

// Signs and verifies with one secret (its UTF-8 bytes). Thread-safe; no allocation beyond the
// token.
class JwtCodec {
public:
    explicit JwtCodec(std::string secret);

    // Payload `{"sub","sessionId","iat","exp"}` in that order.
    std::string sign_access(std::string_view user_id, std::string_view session_id, std::int64_t iat,
                            std::int64_t exp) const;
    // Payload `{"sub","sid","iat","exp","jti"}` in that order.
    std::string sign_refresh(std::string_view user_id, std::string_view session_id,
                             std::int64_t iat, std::int64_t exp, std::string_view jti) const;

    // Signature (constant-time), algorithm, nbf and exp against `now_seconds`.
    Verified<AccessClaims> verify_access(std::string_view token, std::int64_t now_seconds) const;
    Verified<RefreshClaims> verify_refresh(std::string_view token, std::int64_t now_seconds) const;

private:
    std::string secret_;
};

// The token of an `Authorization: Bearer <token>` value: the scheme name in any case (RFC 9110
// 11.1), one or more spaces, then the token with surrounding white space trimmed. Nullopt for
// another scheme or an empty token.
std::optional<std::string_view> bearer_token(std::string_view authorization);

// The `sid` claim of a refresh token read WITHOUT verifying it (contract 5.4 step 1), if present.
std::optional<std::string> peek_session_id(std::string_view token);

// `iat + floor(lifetime_ms / 1000)`: the `exp` of contract 5.2.
std::int64_t expiry_from(std::int64_t iat, std::int64_t lifetime_ms);

// base64url without padding (RFC 7515 section 2), as JWTs and one-time tokens use it.
std::string base64url_encode(std::string_view bytes);
// The inverse: nullopt on characters outside the base64url alphabet, on `=` padding, or on an
// impossible length (4k + 1).
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace portcullis::auth
