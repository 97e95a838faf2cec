// HS256 JSON Web Tokens with the claims of contract 5.2 (decisions B.15: `alg` pinned to HS256,
// access tokens must carry `sessionId`; `sub` or the legacy `userId` names the user; decisions
// E.2: every token must carry `iat` and `exp`, as every token the reference or we mint does).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/ed25519_key.hpp"

namespace portcullis::auth {

enum class JwtError {
    malformed,        // not three base64url parts, bad JSON, wrong claim types
    wrong_algorithm,  // an alg no key of the codec has (none, HS384, RS256, EdDSA without a key)
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

// The keys of one token kind. `secret` signs HS256 tokens (unless an Ed25519 key signs); it and
// `previous` verify them (JWT_*_SECRET_PREVIOUS: tokens minted before a secret rotation keep
// working until they expire). With `ed25519` keys, the last one signs EdDSA tokens and each
// verifies the tokens whose `kid` names it.
struct JwtKeys {
    // A lone secret is a complete set of keys (the reference's configuration), hence implicit.
    JwtKeys(std::string current) : secret(std::move(current)) {}  // NOLINT(google-explicit-*)
    JwtKeys(const char* current) : secret(current) {}             // NOLINT(google-explicit-*)
    JwtKeys(std::string current, std::vector<std::string> previous_secrets,
            std::vector<Ed25519Key> signing_keys = {})
        : secret(std::move(current)),
          previous(std::move(previous_secrets)),
          ed25519(std::move(signing_keys)) {}
    std::string secret;
    std::vector<std::string> previous;
    std::vector<Ed25519Key> ed25519;
};

// Signs and verifies with one set of keys. Thread-safe. Verified EdDSA access tokens are
// remembered per I/O thread (bounded, until they expire), so a client that reuses its token pays
// for one Ed25519 verification, not one per request (~25 HMACs each).
class JwtCodec {
public:
    explicit JwtCodec(JwtKeys keys);
    ~JwtCodec();
    JwtCodec(const JwtCodec&) = delete;
    JwtCodec& operator=(const JwtCodec&) = delete;

    // Payload `{"sub","sessionId","iat","exp"}` in that order.
    std::string sign_access(std::string_view user_id, std::string_view session_id, std::int64_t iat,
                            std::int64_t exp) const;
    // Payload `{"sub","sid","iat","exp","jti"}` in that order.
    std::string sign_refresh(std::string_view user_id, std::string_view session_id,
                             std::int64_t iat, std::int64_t exp, std::string_view jti) const;

    // Signature (constant-time), algorithm, nbf and exp against `now_seconds`.
    Verified<AccessClaims> verify_access(std::string_view token, std::int64_t now_seconds) const;
    Verified<RefreshClaims> verify_refresh(std::string_view token, std::int64_t now_seconds) const;

    // The Ed25519 keys, the signing one last (the JWKS publishes their public halves).
    const std::vector<Ed25519Key>& signing_keys() const { return keys_.ed25519; }

private:
    JwtKeys keys_;
    std::vector<std::string> eddsa_headers_;  // base64url header part per Ed25519 key
    std::uint64_t id_;                        // tells this codec's cache entries from others'
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
