// The authentication use cases of contract sections 4 and 5 (register, login with lockout,
// refresh rotation with reuse detection, logout, sessions, Bearer authentication, user lookup,
// email verification and password reset), written against the ports only. Expected outcomes are
// values (AuthError); infrastructure failures are exceptions (design section 8).
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/account_ports.hpp"
#include "auth/audit.hpp"
#include "auth/cpu_pool.hpp"
#include "auth/jwt.hpp"
#include "auth/password.hpp"
#include "auth/password_blocklist.hpp"
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
    // Account security (issue #16).
    password_breached,         // 400 PASSWORD_BREACHED
    password_contains_email,   // 400 PASSWORD_CONTAINS_EMAIL
    current_password_invalid,  // 401 CURRENT_PASSWORD_INVALID
    mfa_token_invalid,         // 401 MFA_TOKEN_INVALID
    mfa_code_invalid,          // 401 MFA_CODE_INVALID
    mfa_locked,                // 429 MFA_LOCKED
    mfa_already_enabled,       // 409 MFA_ALREADY_ENABLED
    mfa_not_enabled,           // 409 MFA_NOT_ENABLED
    mfa_setup_required,        // 409 MFA_SETUP_REQUIRED
    mfa_not_configured,        // 503 MFA_NOT_CONFIGURED
};

// The success value of use cases that only succeed or fail.
struct Done {};

template <typename T>
using Outcome = std::variant<T, AuthError>;

struct TokenPair {
    std::string access_token;
    std::string refresh_token;
};

// A login whose password was right for an account with MFA: the second factor is awaited
// (POST /auth/login/mfa with this token, single use, short-lived).
struct MfaChallenge {
    std::string mfa_token;
};

using LoginResult = std::variant<TokenPair, MfaChallenge>;

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

class MfaService;

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
    // Account security (issue #16); each optional, each must outlive the service. Without a
    // blocklist no password is refused for being common; without an audit log nothing is
    // recorded; without MFA no login asks for a second factor; without a credential store
    // neither change_password nor the rehash on login is available.
    void set_password_blocklist(const PasswordBlocklist* blocklist) { blocklist_ = blocklist; }
    void set_audit(AuditLog* audit) { audit_ = audit; }
    void set_mfa(MfaService* mfa) { mfa_ = mfa; }
    void set_credentials(CredentialStore* credentials) { credentials_ = credentials; }

    // `hashing` names the caller to the hashing pool (its fair share, whether it has gone; see
    // CpuPool); when the pool has no room for it, Overloaded is thrown before any other work.
    Task<Outcome<Registration>> register_user(std::string_view email, std::string_view password,
                                              ClientInfo client = {}, CpuPool::Client hashing = {});
    // A token pair, or for an account with MFA the challenge to answer (POST /auth/login/mfa).
    // A stored hash made with other Argon2 parameters is replaced after a successful login, off
    // the response path (on the CPU pool, only while its queue is less than half full).
    Task<Outcome<LoginResult>> login(std::string_view email, std::string_view password,
                                     std::string_view client_ip, std::string_view user_agent = {},
                                     CpuPool::Client hashing = {});
    // The second step of an MFA login: a TOTP code or a recovery code for the challenge.
    Task<Outcome<TokenPair>> login_mfa(std::string_view mfa_token, std::string_view code,
                                       std::string_view recovery_code, ClientInfo client = {});
    Task<Outcome<TokenPair>> refresh(std::string_view refresh_token, ClientInfo client = {});
    Task<void> logout(std::string_view refresh_token);

    // Bearer authentication of contract 5.8 from the raw Authorization header value.
    Task<Outcome<Caller>> authenticate(std::string_view authorization);
    // The user named by a Bearer access token whose signature and expiry hold (no database):
    // only for the request log (contract 10.2).
    std::optional<std::string> log_user(std::string_view authorization) const;

    Task<std::vector<SessionSummary>> sessions(const Caller& caller);
    Task<void> logout_all(const Caller& caller, ClientInfo client = {});
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
                                       ClientInfo client = {}, CpuPool::Client hashing = {});

    // Issue #16: the caller's current password, then the new one (validated for complexity by
    // the route; refused here when blocklisted); every other session ends, the current one stays.
    Task<Outcome<Done>> change_password(const Caller& caller, std::string_view current_password,
                                        std::string_view new_password, ClientInfo client = {});
    // Re-authentication for sensitive changes (MFA enrolment, disabling MFA, password change):
    // the caller's account when `password` is its password. Counts as a login attempt of the
    // caller's e-mail and address (locked: login_locked; wrong: current_password_invalid).
    Task<Outcome<User>> confirm_password(const Caller& caller, std::string_view password,
                                         std::string_view client_ip);
    // The blocklist verdict for a new password of the account `email` as an error, if any.
    std::optional<AuthError> refuse_password(std::string_view password,
                                             std::string_view email) const;
    // Records an event when an audit log is set (never blocks, never throws).
    void audit(AuditType type, std::string_view user_id, std::string_view email, ClientInfo client,
               std::string detail_json = {}) const;
    // Opens a session for `user` (a login that passed every check) and answers its pair.
    Task<TokenPair> open_session(const User& user, ClientInfo client);

    // Background rehashes still running; stop() waits for none before the I/O threads end.
    int background_jobs() const { return background_.load(); }

    const AuthSettings& settings() const { return settings_; }
    Now clock() const { return now_; }
    CpuPool& cpu() const { return cpu_; }
    // The Ed25519 keys of access tokens (empty with HS256): what the JWKS publishes.
    const std::vector<Ed25519Key>& signing_keys() const { return access_.signing_keys(); }

private:
    // Refuses at once when the hashing pool has no room for `hashing`: a refused login costs no
    // database round trip, so a storm of retries cannot starve the hashing that would end it.
    void ensure_hashing_room(const CpuPool::Client& hashing);
    OneTimeTokenStore& tokens() const;
    void rehash_later(const boost::asio::any_io_executor& executor, const User& user,
                      std::string plain);
    Task<void> rehash(std::string user_id, std::string email, std::string old_hash,
                      std::string plain);

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
    const PasswordBlocklist* blocklist_ = nullptr;
    AuditLog* audit_ = nullptr;
    MfaService* mfa_ = nullptr;
    CredentialStore* credentials_ = nullptr;
    std::atomic<int> background_{0};
};

}  // namespace portcullis::auth
