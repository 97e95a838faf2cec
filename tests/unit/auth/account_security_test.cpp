// The account-security use cases of issue #16 against in-memory ports and a settable clock: TOTP
// enrolment, MFA logins (codes accepted once, recovery codes single use, challenges single use,
// expiring and bound to the password), the separate MFA counter, password change, the rehash
// after a login, the blocklist on register and reset, and the audit events reported.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <map>
#include <set>

#include "auth/mfa.hpp"
#include "auth/one_time_token.hpp"
#include "auth/service.hpp"
#include "auth/totp.hpp"

namespace portcullis::auth {
namespace {

TimePoint g_now{std::chrono::seconds(1'800'000'000)};
TimePoint test_now() {
    return g_now;
}
std::int64_t now_seconds() {
    return std::chrono::duration_cast<std::chrono::seconds>(g_now.time_since_epoch()).count();
}

// A counter per (email, address) with the policy's threshold; no windows (the clock is frozen).
struct CountingAttempts final : AttemptCounter {
    int max_attempts = 3;
    std::map<std::pair<std::string, std::string>, int> counts;
    Task<bool> is_locked(std::string_view email, std::string_view ip, TimePoint) override {
        co_return counts[{std::string(email), std::string(ip)}] >= max_attempts;
    }
    Task<bool> record_failure(std::string_view email, std::string_view ip,
                              std::optional<std::string_view>, TimePoint) override {
        co_return ++counts[{std::string(email), std::string(ip)}] == max_attempts;
    }
    Task<void> clear(std::string_view email, std::string_view ip) override {
        counts.erase({std::string(email), std::string(ip)});
        co_return;
    }
    Task<void> clear_email(std::string_view email) override {
        std::erase_if(counts, [&](const auto& entry) { return entry.first.first == email; });
        co_return;
    }
};

struct Memory final : UserStore, SessionStore, MfaStore, CredentialStore, OneTimeTokenStore {
    struct SessionRow {
        std::string user_id;
        std::string token;
        bool valid = true;
    };
    struct Challenge {
        std::string id;
        std::string user_id;
        std::string digest;
        TimePoint expires;
        bool used = false;
    };
    std::map<std::string, User> users;
    std::map<std::string, SessionRow> sessions;
    std::map<std::string, TotpEnrolment> totp;
    std::map<std::string, std::map<std::string, bool>> codes;  // user -> hash -> used
    std::map<std::string, Challenge> challenges;               // by token hash
    int rehashes = 0;

    // UserStore
    Task<std::optional<User>> find_by_email(std::string_view email) override {
        for (const auto& [id, u] : users) {
            if (u.email == email) {
                User found = u;
                const auto t = totp.find(id);
                found.mfa_enabled = t != totp.end() && t->second.enabled;
                co_return found;
            }
        }
        co_return std::nullopt;
    }
    Task<std::optional<User>> find_by_id(std::string_view id) override {
        const auto it = users.find(std::string(id));
        if (it == users.end()) co_return std::nullopt;
        co_return it->second;
    }
    Task<std::optional<User>> create(std::string_view id, std::string_view email,
                                     std::string_view hash, bool,
                                     const std::optional<NewSession>& session,
                                     TimePoint now) override {
        for (const auto& [uid, u] : users) {
            if (u.email == email) co_return std::nullopt;
        }
        User user{std::string(id), std::string(email), std::string(hash), Role::user, now};
        users[user.id] = user;
        if (session) sessions[session->id] = {user.id, session->token_hash, true};
        co_return user;
    }
    // SessionStore
    Task<void> create(std::string_view user_id, const NewSession& session, TimePoint) override {
        sessions[session.id] = {std::string(user_id), session.token_hash, true};
        co_return;
    }
    Task<Principal> load_principal(std::string_view user_id, std::string_view session_id) override {
        Principal p;
        const auto u = users.find(std::string(user_id));
        if (u == users.end()) co_return p;
        p.user = u->second;
        const auto s = sessions.find(std::string(session_id));
        p.session_found = s != sessions.end() && s->second.user_id == user_id;
        p.session_valid = p.session_found && s->second.valid;
        co_return p;
    }
    Task<RotateResult> rotate(std::string_view, std::string_view, std::string_view,
                              TimePoint) override {
        co_return RotateResult{};
    }
    Task<bool> revoke_if_current(std::string_view, std::string_view, TimePoint) override {
        co_return false;
    }
    Task<void> revoke_all(std::string_view user_id, TimePoint) override {
        for (auto& [id, s] : sessions) {
            if (s.user_id == user_id) s.valid = false;
        }
        co_return;
    }
    Task<std::vector<SessionSummary>> list(std::string_view) override {
        co_return std::vector<SessionSummary>{};
    }
    // MfaStore
    Task<std::optional<TotpEnrolment>> enrolment(std::string_view user_id) override {
        const auto it = totp.find(std::string(user_id));
        if (it == totp.end()) co_return std::nullopt;
        co_return it->second;
    }
    Task<bool> start_enrolment(std::string_view user_id, std::string_view sealed,
                               TimePoint) override {
        auto& row = totp[std::string(user_id)];
        if (row.enabled) co_return false;
        row = TotpEnrolment{std::string(sealed), false, std::nullopt};
        co_return true;
    }
    Task<bool> enable(std::string_view user_id, std::string_view sealed, std::int64_t step,
                      const std::vector<std::string>& hashes, TimePoint) override {
        auto& row = totp[std::string(user_id)];
        if (row.enabled || row.sealed_secret != sealed) co_return false;
        row.enabled = true;
        row.last_used_step = step;
        auto& mine = codes[std::string(user_id)];
        mine.clear();
        for (const auto& h : hashes) mine[h] = false;
        co_return true;
    }
    Task<bool> use_step(std::string_view user_id, std::int64_t step, TimePoint) override {
        auto& row = totp[std::string(user_id)];
        if (!row.enabled || (row.last_used_step && *row.last_used_step >= step)) co_return false;
        row.last_used_step = step;
        co_return true;
    }
    Task<bool> use_recovery_code(std::string_view user_id, std::string_view hash,
                                 TimePoint) override {
        auto& mine = codes[std::string(user_id)];
        const auto it = mine.find(std::string(hash));
        if (it == mine.end() || it->second) co_return false;
        it->second = true;
        co_return true;
    }
    Task<void> replace_recovery_codes(std::string_view user_id,
                                      const std::vector<std::string>& hashes, TimePoint) override {
        auto& mine = codes[std::string(user_id)];
        mine.clear();
        for (const auto& h : hashes) mine[h] = false;
        co_return;
    }
    Task<bool> disable(std::string_view user_id) override {
        codes.erase(std::string(user_id));
        std::erase_if(challenges, [&](const auto& c) { return c.second.user_id == user_id; });
        co_return totp.erase(std::string(user_id)) > 0;
    }
    Task<void> create_challenge(std::string_view id, std::string_view user_id,
                                std::string_view token_hash, std::string_view digest,
                                TimePoint expires, TimePoint) override {
        challenges[std::string(token_hash)] = {std::string(id), std::string(user_id),
                                               std::string(digest), expires, false};
        co_return;
    }
    Task<std::optional<PendingMfaLogin>> find_challenge(std::string_view token_hash,
                                                        TimePoint now) override {
        const auto it = challenges.find(std::string(token_hash));
        if (it == challenges.end() || it->second.used || it->second.expires <= now) {
            co_return std::nullopt;
        }
        PendingMfaLogin pending{it->second.id, users.at(it->second.user_id), it->second.digest,
                                std::nullopt};
        if (const auto t = totp.find(it->second.user_id); t != totp.end()) pending.totp = t->second;
        co_return pending;
    }
    Task<bool> consume_challenge(std::string_view id, TimePoint) override {
        for (auto& [hash, c] : challenges) {
            if (c.id == id && !c.used) {
                c.used = true;
                co_return true;
            }
        }
        co_return false;
    }
    // CredentialStore
    Task<bool> change_password(std::string_view user_id, std::string_view old_hash,
                               std::string_view new_hash, std::string_view keep,
                               TimePoint) override {
        auto& user = users.at(std::string(user_id));
        if (user.password_hash != old_hash) co_return false;
        user.password_hash = new_hash;
        for (auto& [id, s] : sessions) {
            if (s.user_id == user_id && id != keep) s.valid = false;
        }
        co_return true;
    }
    Task<bool> rehash_password(std::string_view user_id, std::string_view old_hash,
                               std::string_view new_hash, TimePoint) override {
        auto& user = users.at(std::string(user_id));
        if (user.password_hash != old_hash) co_return false;
        user.password_hash = new_hash;
        ++rehashes;
        co_return true;
    }
    // OneTimeTokenStore (password reset only)
    Task<std::optional<User>> create_unverified_user(std::string_view, std::string_view,
                                                     std::string_view, TimePoint) override {
        co_return std::nullopt;
    }
    Task<void> request_email(EmailRequest, std::string_view, TimePoint) override { co_return; }
    Task<TokenCheck> verify_email(std::string_view, TimePoint) override {
        co_return TokenCheck::invalid;
    }
    Task<ResetOutcome> check_reset(std::string_view, TimePoint) override {
        co_return ResetOutcome{TokenCheck::valid, users.begin()->second.email};
    }
    Task<ResetOutcome> reset_password(std::string_view, std::string_view hash, TimePoint) override {
        users.begin()->second.password_hash = hash;
        co_return ResetOutcome{TokenCheck::valid, users.begin()->second.email};
    }
};

struct RecordingAudit final : AuditLog {
    std::vector<AuditEvent> events;
    void record(AuditEvent event) noexcept override { events.push_back(std::move(event)); }
    std::multiset<std::string> types() const {
        std::multiset<std::string> out;
        for (const auto& e : events) out.insert(std::string(to_string(e.type)));
        return out;
    }
};

constexpr const char* kPassword = "Zq8-unusual!Phrase";
const ClientInfo kClient{"203.0.113.9", "unit-test/1.0"};

class AccountSecurity : public ::testing::Test {
protected:
    AccountSecurity()
        : cpu_(1, 8),
          sealer_("mfa-key-0123456789abcdef-0123456789", TokenSealer::kTotpKeyInfo),
          service_(AuthSettings{.lockout = {}, .argon2 = {8192, 1}}, memory_, memory_,
                   login_attempts_, cpu_, "access-secret-0123456789abcdef-0123456789",
                   "refresh-secret-0123456789abcdef-012345", &test_now),
          mfa_(MfaSettings{}, service_, memory_, mfa_attempts_, &sealer_),
          blocklist_(PasswordBlocklist::builtin()) {
        g_now = TimePoint{std::chrono::seconds(1'800'000'000)};
        service_.set_mfa(&mfa_);
        service_.set_audit(&audit_);
        service_.set_credentials(&memory_);
        service_.set_password_blocklist(&blocklist_);
        service_.set_one_time_tokens(&memory_);
    }

    // Runs `task` and then whatever it left behind (background rehashes) on one loop.
    template <typename T>
    T run(Task<T> task) {
        auto future = boost::asio::co_spawn(io_, std::move(task), boost::asio::use_future);
        while (future.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready ||
               service_.background_jobs() > 0) {
            io_.restart();
            io_.run_for(std::chrono::milliseconds(5));
        }
        return future.get();
    }

    Caller registered(const std::string& email = "alice@example.com") {
        const auto outcome = run(service_.register_user(email, kPassword, kClient));
        const auto& registration = std::get<Registration>(outcome);
        const auto caller =
            run(service_.authenticate("Bearer " + registration.tokens->access_token));
        return std::get<Caller>(caller);
    }

    std::string code_now(const std::string& secret_base32, int steps_ahead = 0) {
        const auto key = *totp::base32_decode(secret_base32);
        return totp::hotp(key,
                          static_cast<std::uint64_t>(totp::step_at(now_seconds()) + steps_ahead));
    }

    // Enrols the caller; returns the base32 secret and fills `codes`.
    std::string enrolled(const Caller& caller, RecoveryCodes* codes = nullptr) {
        const auto setup = run(mfa_.setup(caller, kPassword, kClient));
        const std::string secret = std::get<TotpSetup>(setup).secret;
        const auto confirmed = run(mfa_.confirm(caller, code_now(secret), kClient));
        if (codes != nullptr) *codes = std::get<RecoveryCodes>(confirmed);
        // The confirming code's step is used: move on to the next one.
        g_now += std::chrono::seconds(30);
        return secret;
    }

    std::string challenged(const std::string& email = "alice@example.com") {
        const auto outcome = run(service_.login(email, kPassword, kClient.ip, kClient.user_agent));
        const auto& result = std::get<LoginResult>(outcome);
        return std::get<MfaChallenge>(result).mfa_token;
    }

    boost::asio::io_context io_;
    Memory memory_;
    CountingAttempts login_attempts_;
    CountingAttempts mfa_attempts_;
    CpuPool cpu_;
    TokenSealer sealer_;
    AuthService service_;
    MfaService mfa_;
    PasswordBlocklist blocklist_;
    RecordingAudit audit_;
};

TEST_F(AccountSecurity, EnrolmentStoresTheSecretSealedAndAnswersTenRecoveryCodes) {
    const Caller alice = registered();
    const auto setup = std::get<TotpSetup>(run(mfa_.setup(alice, kPassword, kClient)));
    EXPECT_EQ(setup.secret.size(), 32U);
    EXPECT_TRUE(setup.otpauth_uri.starts_with("otpauth://totp/Portcullis:alice%40example.com?"));
    EXPECT_TRUE(setup.qr_svg.starts_with("<svg "));
    const auto& stored = memory_.totp.at(alice.user_id);
    EXPECT_TRUE(stored.sealed_secret.starts_with("v1:"));
    EXPECT_EQ(stored.sealed_secret.find(setup.secret), std::string::npos);
    EXPECT_FALSE(stored.enabled);

    EXPECT_EQ(std::get<AuthError>(run(mfa_.confirm(alice, "000000", kClient))),
              AuthError::mfa_code_invalid);
    const auto codes =
        std::get<RecoveryCodes>(run(mfa_.confirm(alice, code_now(setup.secret), kClient)));
    EXPECT_EQ(codes.codes.size(), 10U);
    EXPECT_EQ(memory_.codes.at(alice.user_id).size(), 10U);
    EXPECT_EQ(memory_.codes.at(alice.user_id).count(codes.codes[0]), 0U) << "only hashes stored";
    EXPECT_TRUE(memory_.totp.at(alice.user_id).enabled);
    EXPECT_EQ(std::get<AuthError>(run(mfa_.setup(alice, kPassword, kClient))),
              AuthError::mfa_already_enabled);
}

TEST_F(AccountSecurity, SetupNeedsThePasswordAndAKey) {
    const Caller alice = registered();
    EXPECT_EQ(std::get<AuthError>(run(mfa_.setup(alice, "Wr0ng!Password", kClient))),
              AuthError::current_password_invalid);
    const std::pair<std::string, std::string> key{"alice@example.com", "203.0.113.9"};
    EXPECT_EQ(login_attempts_.counts[key], 1) << "a wrong password counts as a login failure";
    MfaService unconfigured(MfaSettings{}, service_, memory_, mfa_attempts_, nullptr);
    EXPECT_EQ(std::get<AuthError>(run(unconfigured.setup(alice, kPassword, kClient))),
              AuthError::mfa_not_configured);
}

TEST_F(AccountSecurity, MfaLoginWithACodeThenARecoveryCodeEachOnce) {
    const Caller alice = registered();
    RecoveryCodes codes;
    const std::string secret = enrolled(alice, &codes);

    const std::string token = challenged();
    const std::string code = code_now(secret);
    const auto first = run(service_.login_mfa(token, code, {}, kClient));
    ASSERT_TRUE(std::holds_alternative<TokenPair>(first));
    // The challenge is used up, and so is the code (a new challenge cannot replay it).
    EXPECT_EQ(std::get<AuthError>(run(service_.login_mfa(token, code_now(secret), {}, kClient))),
              AuthError::mfa_token_invalid);
    EXPECT_EQ(std::get<AuthError>(run(service_.login_mfa(challenged(), code, {}, kClient))),
              AuthError::mfa_code_invalid);
    // A code of the next step is fine (the window takes one step of drift).
    EXPECT_TRUE(std::holds_alternative<TokenPair>(
        run(service_.login_mfa(challenged(), code_now(secret, 1), {}, kClient))));

    const std::string typed = codes.codes[3];
    EXPECT_TRUE(std::holds_alternative<TokenPair>(
        run(service_.login_mfa(challenged(), {}, typed, kClient))));
    EXPECT_EQ(std::get<AuthError>(run(service_.login_mfa(challenged(), {}, typed, kClient))),
              AuthError::mfa_code_invalid);
    EXPECT_EQ(audit_.types().count("mfa.recovery_code_used"), 1U);
}

TEST_F(AccountSecurity, ChallengesExpireAndDieWithAPasswordChange) {
    const Caller alice = registered();
    const std::string secret = enrolled(alice);
    const std::string stale = challenged();
    g_now += std::chrono::seconds(301);
    EXPECT_EQ(std::get<AuthError>(run(service_.login_mfa(stale, code_now(secret), {}, kClient))),
              AuthError::mfa_token_invalid);

    const std::string pending = challenged();
    memory_.users.at(alice.user_id).password_hash = hash_password("An0ther!Phrase-x", {8192, 1});
    EXPECT_EQ(std::get<AuthError>(run(service_.login_mfa(pending, code_now(secret), {}, kClient))),
              AuthError::mfa_token_invalid);
    EXPECT_EQ(std::get<AuthError>(
                  run(service_.login_mfa("not-a-challenge-token-at-all", "123456", {}, kClient))),
              AuthError::mfa_token_invalid);
}

TEST_F(AccountSecurity, MfaAndPasswordFailuresLockSeparately) {
    const Caller alice = registered();
    const std::string secret = enrolled(alice);
    // Three wrong codes lock MFA...
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(std::get<AuthError>(run(service_.login_mfa(challenged(), "000000", {}, kClient))),
                  AuthError::mfa_code_invalid);
    }
    EXPECT_EQ(
        std::get<AuthError>(run(service_.login_mfa(challenged(), code_now(secret), {}, kClient))),
        AuthError::mfa_locked);
    // ...not the password: the password step still answers a challenge.
    EXPECT_FALSE(challenged().empty());
    EXPECT_EQ(login_attempts_.counts.size(), 0U);

    // And password failures do not lock MFA: unlock MFA, then fail passwords until locked.
    mfa_attempts_.counts.clear();
    const std::string token = challenged();
    for (int i = 0; i < 3; ++i) {
        run(service_.login("alice@example.com", "Wr0ng!Password", kClient.ip));
    }
    EXPECT_EQ(std::get<AuthError>(run(service_.login("alice@example.com", kPassword, kClient.ip))),
              AuthError::login_locked);
    EXPECT_TRUE(std::holds_alternative<TokenPair>(
        run(service_.login_mfa(token, code_now(secret), {}, kClient))));
}

TEST_F(AccountSecurity, DisableNeedsPasswordAndASecondFactor) {
    const Caller alice = registered();
    RecoveryCodes codes;
    const std::string secret = enrolled(alice, &codes);
    EXPECT_EQ(std::get<AuthError>(run(mfa_.disable(alice, kPassword, "000000", {}, kClient))),
              AuthError::mfa_code_invalid);
    EXPECT_EQ(std::get<AuthError>(
                  run(mfa_.disable(alice, "Wr0ng!Password", code_now(secret), {}, kClient))),
              AuthError::current_password_invalid);
    EXPECT_TRUE(std::holds_alternative<Done>(
        run(mfa_.disable(alice, kPassword, {}, codes.codes[0], kClient))));
    EXPECT_TRUE(memory_.totp.empty());
    // Without MFA a right password logs straight in again.
    const auto login = run(service_.login("alice@example.com", kPassword, kClient.ip));
    EXPECT_TRUE(std::holds_alternative<TokenPair>(std::get<LoginResult>(login)));
    EXPECT_EQ(
        std::get<AuthError>(run(mfa_.disable(alice, kPassword, code_now(secret), {}, kClient))),
        AuthError::mfa_not_enabled);
}

TEST_F(AccountSecurity, RegeneratedRecoveryCodesReplaceTheOldOnes) {
    const Caller alice = registered();
    RecoveryCodes old_codes;
    const std::string secret = enrolled(alice, &old_codes);
    const auto fresh =
        std::get<RecoveryCodes>(run(mfa_.regenerate(alice, code_now(secret), kClient)));
    EXPECT_EQ(fresh.codes.size(), 10U);
    EXPECT_EQ(
        std::get<AuthError>(run(service_.login_mfa(challenged(), {}, old_codes.codes[0], kClient))),
        AuthError::mfa_code_invalid);
    EXPECT_TRUE(std::holds_alternative<TokenPair>(
        run(service_.login_mfa(challenged(), {}, fresh.codes[0], kClient))));
}

TEST_F(AccountSecurity, ChangePasswordKeepsOnlyTheCurrentSession) {
    const Caller alice = registered();
    run(service_.login("alice@example.com", kPassword, kClient.ip));
    ASSERT_EQ(memory_.sessions.size(), 2U);
    EXPECT_EQ(
        std::get<AuthError>(run(service_.change_password(alice, kPassword, "P@ssw0rd1!", kClient))),
        AuthError::password_breached);
    EXPECT_EQ(std::get<AuthError>(
                  run(service_.change_password(alice, kPassword, "My-Alice-Phrase9", kClient))),
              AuthError::password_contains_email);
    EXPECT_EQ(std::get<AuthError>(run(
                  service_.change_password(alice, "Wr0ng!Password", "Fresh-Phrase#71q", kClient))),
              AuthError::current_password_invalid);
    EXPECT_TRUE(std::holds_alternative<Done>(
        run(service_.change_password(alice, kPassword, "Fresh-Phrase#71q", kClient))));
    for (const auto& [id, session] : memory_.sessions) {
        EXPECT_EQ(session.valid, id == alice.session_id) << id;
    }
    EXPECT_EQ(verify_password("Fresh-Phrase#71q", memory_.users.at(alice.user_id).password_hash),
              PasswordCheck::match);
}

TEST_F(AccountSecurity, AHashWithOtherParametersIsReplacedAfterTheLogin) {
    const Caller alice = registered();
    // The reference's parameters (p=4 is what libsodium cannot make; t=2 stands in for "other").
    memory_.users.at(alice.user_id).password_hash = hash_password(kPassword, {8192, 2});
    const auto login = run(service_.login("alice@example.com", kPassword, kClient.ip));
    EXPECT_TRUE(std::holds_alternative<TokenPair>(std::get<LoginResult>(login)));
    EXPECT_EQ(memory_.rehashes, 1);
    const std::string rehashed = memory_.users.at(alice.user_id).password_hash;
    EXPECT_TRUE(rehashed.starts_with("$argon2id$v=19$m=8192,t=1,p=1$")) << rehashed;
    EXPECT_EQ(verify_password(kPassword, rehashed), PasswordCheck::match);
    // Current parameters: nothing to do.
    run(service_.login("alice@example.com", kPassword, kClient.ip));
    EXPECT_EQ(memory_.rehashes, 1);
    EXPECT_EQ(audit_.types().count("password.rehashed"), 1U);
}

TEST_F(AccountSecurity, TheBlocklistGuardsRegisterAndReset) {
    EXPECT_EQ(std::get<AuthError>(run(service_.register_user("bob@example.com", "P@ssw0rd"))),
              AuthError::password_breached);
    EXPECT_EQ(
        std::get<AuthError>(run(service_.register_user("robert@example.com", "Robert-2024!xyz"))),
        AuthError::password_contains_email);
    EXPECT_TRUE(memory_.users.empty());
    registered("carol@example.com");
    const std::string before = memory_.users.begin()->second.password_hash;
    EXPECT_EQ(std::get<AuthError>(run(service_.reset_password("some-token", "Summer2024!"))),
              AuthError::password_breached);
    EXPECT_EQ(std::get<AuthError>(run(service_.reset_password("some-token", "Carol#Secure-77"))),
              AuthError::password_contains_email);
    EXPECT_EQ(memory_.users.begin()->second.password_hash, before);
    EXPECT_TRUE(std::holds_alternative<Done>(
        run(service_.reset_password("some-token", "Fresh-Phrase#71q"))));
}

TEST_F(AccountSecurity, EventsCarryTheClientAndTheAccount) {
    const Caller alice = registered();
    run(service_.login("alice@example.com", "Wr0ng!Password", kClient.ip, kClient.user_agent));
    run(service_.login("nobody@example.com", "Wr0ng!Password", kClient.ip, kClient.user_agent));
    ASSERT_EQ(audit_.events.size(), 3U);
    EXPECT_EQ(audit_.events[0].type, AuditType::registered);
    EXPECT_EQ(audit_.events[0].user_id, alice.user_id);
    EXPECT_EQ(audit_.events[0].ip, "203.0.113.9");
    EXPECT_EQ(audit_.events[0].user_agent, "unit-test/1.0");
    EXPECT_EQ(audit_.events[1].type, AuditType::login_failed);
    EXPECT_EQ(audit_.events[1].user_id, alice.user_id);
    EXPECT_EQ(audit_.events[1].detail_json, R"({"reason":"password"})");
    EXPECT_EQ(audit_.events[2].user_id, "");
    EXPECT_EQ(audit_.events[2].email, "nobody@example.com");
    EXPECT_EQ(audit_.events[2].detail_json, R"({"reason":"unknown_account"})");
    EXPECT_EQ(audit_.events[2].at, g_now);
}

TEST(AuditTypes, NamesRoundTrip) {
    for (int i = 0; i <= static_cast<int>(AuditType::sessions_revoked); ++i) {
        const auto type = static_cast<AuditType>(i);
        const auto name = to_string(type);
        EXPECT_NE(name, "unknown");
        EXPECT_EQ(audit_type_from(name), type) << name;
    }
    EXPECT_EQ(audit_type_from("login.nope"), std::nullopt);
}

}  // namespace
}  // namespace portcullis::auth
