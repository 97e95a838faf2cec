// See service.hpp. The order of checks follows contract 5.4, 5.7 and 5.8 exactly, because the
// order decides which error a client sees.
#include "auth/service.hpp"

// GCC 12 misreads the frame deallocation of Asio's awaitable coroutines in login() as a
// mismatched new/delete (the false positive email/outbox_sender.cpp and cmake/Warnings.cmake
// silence too).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>

#include <array>
#include <exception>
#include <stdexcept>

#include "auth/mfa.hpp"
#include "auth/one_time_token.hpp"
#include "auth/validation.hpp"
#include "util/random.hpp"
#include "util/strings.hpp"

namespace portcullis::auth {
namespace {
constexpr std::size_t kMaxIpLength = 128;

std::string lockout_ip(std::string_view client_ip) {
    if (client_ip.empty()) return "unknown";
    return std::string(client_ip.substr(0, kMaxIpLength));
}

std::string reason_detail(std::string_view reason) {
    return std::string(R"({"reason":")") + std::string(reason) + "\"}";
}
}  // namespace

std::string_view to_string(Role role) {
    return role == Role::admin ? "ADMIN" : "USER";
}

namespace {
// The grace window's successor token id: HMAC-SHA256 of the rotated-out token under a key of its
// own, shaped as a UUID v4 like every other jti. Only the service can compute it; whoever holds
// the rotated-out token learns it only by presenting that token within the window.
std::string successor_jti(std::string_view key, std::string_view presented) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int length = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(presented.data()), presented.size(), mac.data(),
             &length) == nullptr) {
        throw std::runtime_error("HMAC-SHA256 failed");
    }
    mac[6] = static_cast<unsigned char>((mac[6] & 0x0fU) | 0x40U);  // version 4
    mac[8] = static_cast<unsigned char>((mac[8] & 0x3fU) | 0x80U);  // RFC 4122 variant
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
        out.push_back(kHex[mac[i] >> 4]);
        out.push_back(kHex[mac[i] & 0x0fU]);
    }
    return out;
}

std::int64_t whole_seconds(TimePoint time) {
    return std::chrono::floor<std::chrono::seconds>(time.time_since_epoch()).count();
}
}  // namespace

AuthService::AuthService(AuthSettings settings, UserStore& users, SessionStore& sessions,
                         AttemptCounter& attempts, CpuPool& cpu, JwtKeys access_keys,
                         JwtKeys refresh_keys, Now now)
    : settings_(settings),
      users_(users),
      sessions_(sessions),
      attempts_(attempts),
      cpu_(cpu),
      access_(std::move(access_keys)),
      // Tied to the refresh secret, yet not its MAC key.
      successor_key_("portcullis refresh successor v1:" + refresh_keys.secret),
      refresh_(std::move(refresh_keys)),
      now_(now),
      // Unknown emails are verified against this so they cost what a real account costs.
      dummy_hash_(hash_password(util::uuid_v4(), settings.argon2)) {}

AuthService::~AuthService() = default;

std::int64_t AuthService::now_seconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(now_().time_since_epoch()).count();
}

TokenPair AuthService::issue(std::string_view user_id, std::string_view session_id) const {
    return issue_at(user_id, session_id, now_seconds(), util::uuid_v4());
}

TokenPair AuthService::issue_at(std::string_view user_id, std::string_view session_id,
                                std::int64_t iat, std::string_view jti) const {
    return TokenPair{
        access_.sign_access(user_id, session_id, iat,
                            expiry_from(iat, settings_.access_ttl.count())),
        refresh_.sign_refresh(user_id, session_id, iat,
                              expiry_from(iat, settings_.refresh_ttl.count()), jti),
    };
}

void AuthService::ensure_hashing_room(const CpuPool::Client& hashing) {
    if (!cpu_.has_room_for(hashing.key)) throw Overloaded();
}

Task<Outcome<Registration>> AuthService::register_user(std::string_view email,
                                                       std::string_view password, ClientInfo client,
                                                       CpuPool::Client hashing) {
    ensure_hashing_room(hashing);
    const std::string normalized = normalize_email(email);
    // Before any lookup: a refused password costs no round trip and says nothing of the account.
    if (auto refused = refuse_password(password, normalized)) co_return *refused;
    if (co_await users_.find_by_email(normalized)) co_return AuthError::email_taken;

    const Argon2Params params = settings_.argon2;
    const std::string plain(password);
    // A named job: lambdas are not built inside co_await expressions (GCC 12 coroutine bugs).
    auto hash_job = [plain, params] { return hash_password(plain, params); };
    const std::string hash = co_await cpu_.run(std::move(hashing), std::move(hash_job));

    Registration registration;
    registration.user_id = util::uuid_v4();
    registration.verification_required = settings_.verification_required;
    std::optional<NewSession> session;
    if (!settings_.verification_required) {
        const std::string session_id = util::uuid_v4();
        registration.tokens = issue(registration.user_id, session_id);
        session = NewSession{session_id, sha256_hex(registration.tokens->refresh_token)};
    }
    std::optional<User> created;
    if (settings_.verification_required && tokens_ != nullptr) {
        // User, token and outbox row in one transaction: the email cannot be lost (decisions C.2).
        created = co_await tokens_->create_unverified_user(registration.user_id, normalized, hash,
                                                           now_());
    } else {
        created = co_await users_.create(registration.user_id, normalized, hash,
                                         !settings_.verification_required, session, now_());
    }
    if (!created) co_return AuthError::email_taken;  // a concurrent registration won the race
    audit(AuditType::registered, registration.user_id, normalized, client);
    co_return registration;
}

Task<Outcome<LoginResult>> AuthService::login(std::string_view email, std::string_view password,
                                              std::string_view client_ip,
                                              std::string_view user_agent,
                                              CpuPool::Client hashing) {
    ensure_hashing_room(hashing);
    const std::string normalized = normalize_email(email);
    const std::string ip = lockout_ip(client_ip);
    const ClientInfo client{client_ip, user_agent};
    // The lock is checked before the password, so even the right password is refused.
    if (co_await attempts_.is_locked(normalized, ip, now_())) {
        if (events_ != nullptr) events_->login(LoginOutcome::locked);
        // No lookup on this path: the audit writer finds the account by its e-mail.
        audit(AuditType::login_locked, {}, normalized, client);
        co_return AuthError::login_locked;
    }

    const auto user = co_await users_.find_by_email(normalized);
    const std::string phc = user ? user->password_hash : dummy_hash_;
    const std::string plain(password);
    auto verify_job = [plain, phc] { return verify_password(plain, phc); };
    const PasswordCheck check = co_await cpu_.run(std::move(hashing), std::move(verify_job));
    if (user && check == PasswordCheck::invalid_hash) {
        throw std::runtime_error("stored password hash is not an Argon2 PHC string");
    }
    const bool verified_enough =
        !settings_.verification_required || (user && user->email_verified_at.has_value());
    if (!user || check != PasswordCheck::match || !verified_enough) {
        std::optional<std::string_view> user_id;
        if (user) user_id = user->id;
        const bool locked_now = co_await attempts_.record_failure(normalized, ip, user_id, now_());
        if (events_ != nullptr) {
            events_->login(LoginOutcome::invalid_credentials);
            if (locked_now) events_->lockout();
        }
        const std::string_view reason = !user                           ? "unknown_account"
                                        : check != PasswordCheck::match ? "password"
                                                                        : "unverified";
        audit(AuditType::login_failed, user ? std::string_view(user->id) : std::string_view{},
              normalized, client, reason_detail(reason));
        co_return AuthError::invalid_credentials;
    }

    co_await attempts_.clear(normalized, ip);
    const auto executor = co_await boost::asio::this_coro::executor;
    if (user->mfa_enabled) {
        // Fail closed: an account with MFA never logs in on its password alone.
        if (mfa_ == nullptr) throw std::logic_error("an account has MFA but no MFA service is set");
        std::string token = co_await mfa_->begin_login(*user);
        MfaChallenge challenge{std::move(token)};
        audit(AuditType::mfa_challenged, user->id, user->email, client);
        rehash_later(executor, *user, plain);
        co_return LoginResult{std::move(challenge)};
    }
    TokenPair pair = co_await open_session(*user, client);
    rehash_later(executor, *user, plain);
    co_return LoginResult{std::move(pair)};
}

Task<TokenPair> AuthService::open_session(const User& user, ClientInfo client) {
    const std::string session_id = util::uuid_v4();
    TokenPair pair = issue(user.id, session_id);
    // Arguments are named values, never temporaries: a temporary that lives across a co_await
    // is destroyed twice by GCC 12 (seen under ASan).
    const NewSession session{session_id, sha256_hex(pair.refresh_token)};
    co_await sessions_.create(user.id, session, now_());
    if (events_ != nullptr) events_->login(LoginOutcome::success);
    audit(AuditType::login_succeeded, user.id, user.email, client);
    co_return pair;
}

Task<Outcome<TokenPair>> AuthService::login_mfa(std::string_view mfa_token, std::string_view code,
                                                std::string_view recovery_code, ClientInfo client) {
    if (mfa_ == nullptr) co_return AuthError::mfa_token_invalid;
    const auto finished = co_await mfa_->complete_login(mfa_token, code, recovery_code, client);
    if (const auto* error = std::get_if<AuthError>(&finished)) co_return *error;
    const User& user = std::get<User>(finished);
    co_return co_await open_session(user, client);
}

void AuthService::rehash_later(const boost::asio::any_io_executor& executor, const User& user,
                               std::string plain) {
    if (credentials_ == nullptr || !needs_rehash(user.password_hash, settings_.argon2)) return;
    // Logins come first: a rehash never takes more than half of the hashing queue.
    if (cpu_.queue_depth() * 2 >= cpu_.capacity()) return;
    ++background_;
    boost::asio::co_spawn(executor,
                          rehash(user.id, user.email, user.password_hash, std::move(plain)),
                          [this](const std::exception_ptr&) {
                              // A failure (database down, queue full) is retried by the next
                              // login: the old hash still verifies.
                              --background_;
                          });
}

Task<void> AuthService::rehash(std::string user_id, std::string email, std::string old_hash,
                               std::string plain) {
    const Argon2Params params = settings_.argon2;
    auto hash_job = [plain, params] { return hash_password(plain, params); };
    const std::string fresh = co_await cpu_.run(std::move(hash_job));
    const bool replaced = co_await credentials_->rehash_password(user_id, old_hash, fresh, now_());
    if (replaced) audit(AuditType::password_rehashed, user_id, email, {});
}

Task<Outcome<TokenPair>> AuthService::refresh(std::string_view refresh_token, ClientInfo client) {
    const auto peeked_sid = peek_session_id(refresh_token);
    const auto verified = refresh_.verify_refresh(refresh_token, now_seconds());
    const std::string presented_hash = sha256_hex(refresh_token);
    if (!verified.ok()) {
        if (verified.error == JwtError::expired) {
            // Decisions B.8: an expired token ends its session only if it is still the current one.
            if (peeked_sid)
                co_await sessions_.revoke_if_current(*peeked_sid, presented_hash, now_());
            co_return AuthError::session_expired;
        }
        co_return AuthError::refresh_invalid;
    }
    const RefreshClaims& claims = *verified.claims;
    // With a grace window the successor is derived from the presented token and the rotation's
    // second instead of drawn at random, so a retry or a racing tab derives the very same pair
    // again: nothing of it is stored, and a rotation costs what it costs without the window.
    const bool grace = settings_.refresh_reuse_grace.count() > 0;
    const TimePoint now = now_();
    const std::string jti = grace ? successor_jti(successor_key_, refresh_token) : util::uuid_v4();
    TokenPair pair = issue_at(claims.user_id, claims.session_id, whole_seconds(now), jti);
    const std::string new_hash = sha256_hex(pair.refresh_token);
    const auto rotated =
        co_await sessions_.rotate(claims.session_id, presented_hash, new_hash, now);
    switch (rotated.outcome) {
        case RotateOutcome::rotated:
            co_return pair;
        case RotateOutcome::session_missing:
        case RotateOutcome::session_revoked:
            co_return AuthError::session_invalid;
        case RotateOutcome::token_mismatch:
            // The session's current token is this token's derived successor only when this token
            // is the one rotated out last (a grandparent's successor is no longer current): then,
            // within the window, the caller gets the pair that rotation handed out.
            if (grace && now - rotated.rotated_at < settings_.refresh_reuse_grace) {
                TokenPair again = issue_at(claims.user_id, claims.session_id,
                                           whole_seconds(rotated.rotated_at), jti);
                if (util::constant_time_equals(sha256_hex(again.refresh_token),
                                               rotated.current_hash)) {
                    co_return again;
                }
            }
            // A rotated-out token came back (or lost a race with its twin): treat the family as
            // stolen and end every session of the user.
            co_await sessions_.revoke_all(rotated.owner_user_id, now_());
            if (events_ != nullptr) events_->refresh_reuse();
            audit(AuditType::refresh_reuse, rotated.owner_user_id, {}, client);
            co_return AuthError::refresh_reuse;
    }
    co_return AuthError::session_invalid;
}

Task<void> AuthService::logout(std::string_view refresh_token) {
    const auto verified = refresh_.verify_refresh(refresh_token, now_seconds());
    if (!verified.ok()) co_return;
    const std::string presented_hash = sha256_hex(refresh_token);
    co_await sessions_.revoke_if_current(verified.claims->session_id, presented_hash, now_());
}

Task<Outcome<Caller>> AuthService::authenticate(std::string_view authorization) {
    const auto token = bearer_token(authorization);
    if (!token) co_return AuthError::unauthorized;
    const auto verified = access_.verify_access(*token, now_seconds());
    if (!verified.ok()) co_return AuthError::access_invalid;

    const AccessClaims& claims = *verified.claims;
    const Principal principal =
        co_await sessions_.load_principal(claims.user_id, claims.session_id);
    if (!principal.user || !principal.session_found) co_return AuthError::unauthorized;
    if (!principal.session_valid) co_return AuthError::session_invalid;
    co_return Caller{principal.user->id, principal.user->email, principal.user->role,
                     claims.session_id};
}

std::optional<std::string> AuthService::log_user(std::string_view authorization) const {
    const auto token = bearer_token(authorization);
    if (!token) return std::nullopt;
    const auto verified = access_.verify_access(*token, now_seconds());
    if (!verified.ok()) return std::nullopt;
    return verified.claims->user_id;
}

Task<std::vector<SessionSummary>> AuthService::sessions(const Caller& caller) {
    co_return co_await sessions_.list(caller.user_id);
}

Task<void> AuthService::logout_all(const Caller& caller, ClientInfo client) {
    co_await sessions_.revoke_all(caller.user_id, now_());
    audit(AuditType::sessions_revoked, caller.user_id, caller.email, client,
          R"({"by":"logout-all"})");
}

Task<Outcome<UserView>> AuthService::find_user(const Caller& caller, std::string_view user_id) {
    const bool owner = caller.user_id == user_id;
    if (!owner && caller.role != Role::admin) co_return AuthError::forbidden;
    // The caller was loaded moments ago by authenticate(): no second round trip for themselves.
    if (owner) co_return UserView{caller.user_id, caller.email, caller.role, true};
    const auto user = co_await users_.find_by_id(user_id);
    if (!user) co_return AuthError::user_not_found;
    co_return UserView{user->id, user->email, user->role, owner};
}

OneTimeTokenStore& AuthService::tokens() const {
    if (tokens_ == nullptr) throw std::logic_error("no one-time-token store configured");
    return *tokens_;
}

Task<Outcome<Done>> AuthService::verify_email(std::string_view token) {
    const std::string hash = sha256_hex(token);
    const TokenCheck check = co_await tokens().verify_email(hash, now_());
    switch (check) {
        case TokenCheck::valid:
            co_return Done{};
        case TokenCheck::expired:
            co_return AuthError::verification_expired;
        case TokenCheck::invalid:
            break;
    }
    co_return AuthError::verification_invalid;
}

Task<void> AuthService::request_password_reset(std::string_view email) {
    const std::string normalized = normalize_email(email);
    co_await tokens().request_email(EmailRequest::password_reset, normalized, now_());
}

Task<void> AuthService::resend_verification(std::string_view email) {
    const std::string normalized = normalize_email(email);
    co_await tokens().request_email(EmailRequest::verification, normalized, now_());
}

Task<Outcome<Done>> AuthService::reset_password(std::string_view token, std::string_view password,
                                                ClientInfo client, CpuPool::Client hashing) {
    ensure_hashing_room(hashing);
    // A common password is refused before the token is looked at (the token stays usable).
    if (auto refused = refuse_password(password, {})) co_return *refused;
    const std::string token_hash = sha256_hex(token);
    // Checked before hashing, so a wrong token costs no Argon2 work.
    const ResetOutcome check = co_await tokens().check_reset(token_hash, now_());
    if (check.check == TokenCheck::invalid) co_return AuthError::reset_invalid;
    if (check.check == TokenCheck::expired) co_return AuthError::reset_expired;
    // The account is known now: its e-mail is a context-specific word (NIST SP 800-63B-4).
    if (auto refused = refuse_password(password, check.email)) co_return *refused;

    const Argon2Params params = settings_.argon2;
    const std::string plain(password);
    auto hash_job = [plain, params] { return hash_password(plain, params); };
    const std::string hash = co_await cpu_.run(std::move(hashing), std::move(hash_job));
    // The token is consumed only here: a concurrent use or expiry since the check still loses.
    const ResetOutcome outcome = co_await tokens().reset_password(token_hash, hash, now_());
    if (outcome.check == TokenCheck::invalid) co_return AuthError::reset_invalid;
    if (outcome.check == TokenCheck::expired) co_return AuthError::reset_expired;
    const std::string email = normalize_email(outcome.email);
    co_await attempts_.clear_email(email);
    audit(AuditType::password_reset, {}, email, client);
    co_return Done{};
}

Task<Outcome<User>> AuthService::confirm_password(const Caller& caller, std::string_view password,
                                                  std::string_view client_ip) {
    const std::string ip = lockout_ip(client_ip);
    const std::string email = normalize_email(caller.email);
    if (co_await attempts_.is_locked(email, ip, now_())) co_return AuthError::login_locked;
    const auto user = co_await users_.find_by_id(caller.user_id);
    if (!user) co_return AuthError::unauthorized;
    const std::string plain(password);
    const std::string phc = user->password_hash;
    auto verify_job = [plain, phc] { return verify_password(plain, phc); };
    const PasswordCheck check = co_await cpu_.run(std::move(verify_job));
    if (check == PasswordCheck::invalid_hash) {
        throw std::runtime_error("stored password hash is not an Argon2 PHC string");
    }
    if (check != PasswordCheck::match) {
        const std::optional<std::string_view> user_id = user->id;
        const bool locked_now = co_await attempts_.record_failure(email, ip, user_id, now_());
        if (events_ != nullptr && locked_now) events_->lockout();
        audit(AuditType::login_failed, user->id, email, {client_ip, {}},
              reason_detail("reauthentication"));
        co_return AuthError::current_password_invalid;
    }
    co_return *user;
}

Task<Outcome<Done>> AuthService::change_password(const Caller& caller,
                                                 std::string_view current_password,
                                                 std::string_view new_password, ClientInfo client) {
    if (credentials_ == nullptr) throw std::logic_error("no credential store configured");
    if (auto refused = refuse_password(new_password, caller.email)) co_return *refused;
    const auto confirmed = co_await confirm_password(caller, current_password, client.ip);
    if (const auto* error = std::get_if<AuthError>(&confirmed)) co_return *error;
    const User& user = std::get<User>(confirmed);

    const Argon2Params params = settings_.argon2;
    const std::string plain(new_password);
    auto hash_job = [plain, params] { return hash_password(plain, params); };
    const std::string hash = co_await cpu_.run(std::move(hash_job));
    const bool changed = co_await credentials_->change_password(user.id, user.password_hash, hash,
                                                                caller.session_id, now_());
    // Someone else changed it between the check and now: the presented password is stale.
    if (!changed) co_return AuthError::current_password_invalid;
    audit(AuditType::password_changed, user.id, user.email, client);
    co_return Done{};
}

std::optional<AuthError> AuthService::refuse_password(std::string_view password,
                                                      std::string_view email) const {
    if (blocklist_ == nullptr) return std::nullopt;
    switch (blocklist_->check(password, email)) {
        case PasswordVerdict::ok:
            return std::nullopt;
        case PasswordVerdict::breached:
            return AuthError::password_breached;
        case PasswordVerdict::contains_email:
            return AuthError::password_contains_email;
    }
    return std::nullopt;
}

void AuthService::audit(AuditType type, std::string_view user_id, std::string_view email,
                        ClientInfo client, std::string detail_json) const {
    if (audit_ == nullptr) return;
    AuditEvent event;
    event.type = type;
    event.user_id = user_id;
    event.email = email;
    event.ip = client.ip.substr(0, kMaxIpLength);
    event.user_agent = client.user_agent.substr(0, kMaxUserAgent);
    event.detail_json = std::move(detail_json);
    event.at = now_();
    audit_->record(std::move(event));
}

}  // namespace portcullis::auth
