// The authentication use cases of contract sections 4 and 5 (register, login with lockout,
// refresh rotation with reuse detection, logout, sessions, Bearer authentication, user lookup,
// email verification and password reset), written against the ports only. Expected outcomes are
// values (AuthError); infrastructure failures are exceptions (design section 8).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/cpu_pool.hpp"
#include "auth/jwt.hpp"
#include "auth/password.hpp"
#include "auth/ports.hpp"
#include "auth/token_ports.hpp"

namespace portcullis::auth {

enum class AuthError {
    email_taken,           // 409 EMAIL_TAKEN
    invalid_credentials,   // 401 INVALID_CREDENTIALS
    login_locked,          // 429 LOGIN_LOCKED
    session_expired,       // 401 SESSION_EXPIRED
    refresh_invalid,       // 401 JWT_REFRESH_INVALID
    session_invalid,       // 401 SESSION_INVALID
    refresh_reuse,         // 401 REFRESH_REUSE
    unauthorized,          // 401 UNAUTHORIZED
    access_invalid,        // 401 JWT_ACCESS_INVALID
    forbidden,             // 403 FORBIDDEN
    user_not_found,        // 404 USER_NOT_FOUND
    verification_invalid,  // 400 EMAIL_VERIFICATION_INVALID
    verification_expired,  // 400 EMAIL_VERIFICATION_EXPIRED
    reset_invalid,         // 400 PASSWORD_RESET_INVALID
    reset_expired,         // 400 PASSWORD_RESET_EXPIRED
};

// The success value of use cases that only succeed or fail.
struct Done {};

template <typename T>
using Outcome = std::variant<T, AuthError>;

struct TokenPair {
    std::string access_token;
    std::string refresh_token;
};

struct Registration {
    bool verification_required = false;
    std::optional<TokenPair> tokens;  // when no verification is required
    std::string user_id;
};

struct Caller {
    std::string user_id;
    std::string email;
    Role role = Role::user;
    std::string session_id;
};

struct UserView {
    std::string id;
    std::string email;
    Role role = Role::user;
    bool owner = false;
};

struct AuthSettings {
    std::chrono::milliseconds access_ttl{15 * 60 * 1000};
    std::chrono::milliseconds refresh_ttl{7LL * 24 * 3600 * 1000};
    bool verification_required = false;
    LockoutPolicy lockout;
    Argon2Params argon2;
    // AUTH_REFRESH_REUSE_GRACE_SECONDS (issue #15): a rotated-out refresh token presented again
    // this soon gets the pair its first use received; 0 keeps the reference's reuse detection.
    // The pair is derived, not stored: see AuthService::refresh.
    std::chrono::seconds refresh_reuse_grace{0};
};

// Wall-clock source, injectable for tests.
using Now = TimePoint (*)();

class AuthService {
public:
    // Computes the dummy hash that unknown emails are verified against (about one hash of time).
    // `access_keys` sign and verify access tokens (HS256, or EdDSA with Ed25519 keys);
    // `refresh_keys` the refresh tokens (HS256 only: they never leave the service's reach).
    AuthService(AuthSettings settings, UserStore& users, SessionStore& sessions,
                AttemptCounter& attempts, CpuPool& cpu, JwtKeys access_keys, JwtKeys refresh_keys,
                Now now = &std::chrono::system_clock::now);
    ~AuthService();

    // Optional; must outlive the service.
    void set_events(AuthEvents* events) { events_ = events; }
    // The one-time-token flows need it (without it they throw: 500); must outlive the service.
    // With it, a registration that requires verification writes its token and email atomically.
    void set_one_time_tokens(OneTimeTokenStore* tokens) { tokens_ = tokens; }

    // `hashing` names the caller to the hashing pool (its fair share, whether it has gone; see
    // CpuPool); when the pool has no room for it, Overloaded is thrown before any other work.
    Task<Outcome<Registration>> register_user(std::string_view email, std::string_view password,
                                              CpuPool::Client hashing = {});
    Task<Outcome<TokenPair>> login(std::string_view email, std::string_view password,
                                   std::string_view client_ip, CpuPool::Client hashing = {});
    Task<Outcome<TokenPair>> refresh(std::string_view refresh_token);
    Task<void> logout(std::string_view refresh_token);

    // Bearer authentication of contract 5.8 from the raw Authorization header value.
    Task<Outcome<Caller>> authenticate(std::string_view authorization);
    // The user named by a Bearer access token whose signature and expiry hold (no database):
    // only for the request log (contract 10.2).
    std::optional<std::string> log_user(std::string_view authorization) const;

    Task<std::vector<SessionSummary>> sessions(const Caller& caller);
    Task<void> logout_all(const Caller& caller);
    // Decisions B.9: neither owner nor admin → forbidden, whether or not the id exists.
    Task<Outcome<UserView>> find_user(const Caller& caller, std::string_view user_id);

    // Contract 5.6: consumes a verification token and marks the user verified.
    Task<Outcome<Done>> verify_email(std::string_view token);
    // Queues the request; the account is looked up and the token made off the request path, so
    // known and unknown emails cost the same (decisions B.10).
    Task<void> request_password_reset(std::string_view email);
    // Decisions C.1: like a reset request, for an existing unverified account.
    Task<void> resend_verification(std::string_view email);
    // Contract 5.6 with decisions B.7: new password, every session revoked, lockout cleared.
    // The password must already be validated (a weak one never reaches the token).
    Task<Outcome<Done>> reset_password(std::string_view token, std::string_view password,
                                       CpuPool::Client hashing = {});

    const AuthSettings& settings() const { return settings_; }
    // The Ed25519 keys of access tokens (empty with HS256): what the JWKS publishes.
    const std::vector<Ed25519Key>& signing_keys() const { return access_.signing_keys(); }

private:
    // Refuses at once when the hashing pool has no room for `hashing`: a refused login costs no
    // database round trip, so a storm of retries cannot starve the hashing that would end it.
    void ensure_hashing_room(const CpuPool::Client& hashing);
    OneTimeTokenStore& tokens() const;

    TokenPair issue(std::string_view user_id, std::string_view session_id) const;
    // A pair issued at `iat` whose refresh token carries `jti`: the same inputs give the same
    // pair (both algorithms sign deterministically).
    TokenPair issue_at(std::string_view user_id, std::string_view session_id, std::int64_t iat,
                       std::string_view jti) const;
    std::int64_t now_seconds() const;

    AuthSettings settings_;
    UserStore& users_;
    SessionStore& sessions_;
    AttemptCounter& attempts_;
    CpuPool& cpu_;
    JwtCodec access_;
    // The HMAC key of the grace window's derived successors; declared before refresh_, whose
    // keys it is made from.
    std::string successor_key_;
    JwtCodec refresh_;
    Now now_;
    std::string dummy_hash_;
    AuthEvents* events_ = nullptr;
    OneTimeTokenStore* tokens_ = nullptr;
};

}  // namespace portcullis::auth
