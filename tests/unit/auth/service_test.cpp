// AuthService against in-memory ports: the order of checks of contract 5.4, 5.7 and 5.8 and the
// decisions B.8, B.9 and B.15, without a database.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <map>

#include "auth/one_time_token.hpp"
#include "auth/service.hpp"

namespace portcullis::auth {
namespace {

TimePoint fixed_now() {
    return TimePoint{std::chrono::seconds(1'800'000'000)};
}

// A clock the grace-window tests move forward.
TimePoint g_now = fixed_now();
TimePoint movable_now() {
    return g_now;
}

struct FakeStores final : UserStore, SessionStore, AttemptCounter {
    struct SessionRow {
        std::string user_id;
        std::string token;
        bool valid = true;
        TimePoint updated_at{};
    };
    std::map<std::string, User> users;  // by id
    std::map<std::string, SessionRow> sessions;
    bool locked = false;
    int failures = 0;
    int clears = 0;
    int revoke_all_calls = 0;

    Task<std::optional<User>> find_by_email(std::string_view email) override {
        for (const auto& [id, u] : users) {
            if (u.email == email) co_return u;
        }
        co_return std::nullopt;
    }
    Task<std::optional<User>> find_by_id(std::string_view id) override {
        const auto it = users.find(std::string(id));
        if (it == users.end()) co_return std::nullopt;
        co_return it->second;
    }
    Task<std::optional<User>> create(std::string_view id, std::string_view email,
                                     std::string_view hash, bool verified,
                                     const std::optional<NewSession>& session,
                                     TimePoint now) override {
        for (const auto& [uid, u] : users) {
            if (u.email == email) co_return std::nullopt;
        }
        User user{std::string(id), std::string(email), std::string(hash), Role::user, {}};
        if (verified) user.email_verified_at = now;
        users[user.id] = user;
        if (session) sessions[session->id] = {user.id, session->token_hash, true, now};
        co_return user;
    }
    Task<void> create(std::string_view user_id, const NewSession& session, TimePoint) override {
        sessions[session.id] = {std::string(user_id), session.token_hash, true, {}};
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
    Task<RotateResult> rotate(std::string_view session_id, std::string_view presented,
                              std::string_view next, TimePoint now) override {
        const auto s = sessions.find(std::string(session_id));
        if (s == sessions.end()) co_return RotateResult{RotateOutcome::session_missing, {}, {}, {}};
        if (!s->second.valid)
            co_return RotateResult{RotateOutcome::session_revoked, s->second.user_id, {}, {}};
        if (s->second.token != presented) {
            co_return RotateResult{RotateOutcome::token_mismatch, s->second.user_id,
                                   s->second.token, s->second.updated_at};
        }
        s->second.token = std::string(next);
        // As the database keeps it: milliseconds.
        s->second.updated_at = std::chrono::floor<std::chrono::milliseconds>(now);
        co_return RotateResult{RotateOutcome::rotated, s->second.user_id, {}, {}};
    }
    Task<bool> revoke_if_current(std::string_view session_id, std::string_view hash,
                                 TimePoint) override {
        const auto s = sessions.find(std::string(session_id));
        if (s == sessions.end() || !s->second.valid || s->second.token != hash) co_return false;
        s->second = {s->second.user_id, "", false, {}};
        co_return true;
    }
    Task<void> revoke_all(std::string_view user_id, TimePoint) override {
        ++revoke_all_calls;
        for (auto& [id, s] : sessions) {
            if (s.user_id == user_id) s = {s.user_id, "", false, {}};
        }
        co_return;
    }
    Task<std::vector<SessionSummary>> list(std::string_view) override {
        co_return std::vector<SessionSummary>{};
    }
    Task<bool> is_locked(std::string_view, std::string_view, TimePoint) override {
        co_return locked;
    }
    Task<bool> record_failure(std::string_view, std::string_view, std::optional<std::string_view>,
                              TimePoint) override {
        ++failures;
        co_return false;
    }
    Task<void> clear(std::string_view, std::string_view) override {
        ++clears;
        co_return;
    }
    Task<void> clear_email(std::string_view) override {
        ++clears;
        co_return;
    }
};

template <typename T>
T run(Task<T> task) {
    boost::asio::io_context io;
    auto future = boost::asio::co_spawn(io, std::move(task), boost::asio::use_future);
    // The CPU pool posts results back: keep the loop alive until the task is done.
    while (future.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
        io.restart();
        io.run_for(std::chrono::milliseconds(5));
    }
    return future.get();
}

class AuthServiceTest : public ::testing::Test {
protected:
    AuthServiceTest()
        : cpu_(1, 8),
          service_(AuthSettings{.access_ttl = std::chrono::minutes(15),
                                .refresh_ttl = std::chrono::hours(24),
                                .verification_required = false,
                                .lockout = {},
                                .argon2 = {8192, 1}},
                   stores_, stores_, stores_, cpu_, "access-secret-0123456789abcdef-0123456789",
                   "refresh-secret-0123456789abcdef-012345", &fixed_now) {}

    TokenPair registered(const std::string& email) {
        auto outcome = run(service_.register_user(email, "Str0ng!Passw0rd"));
        return *std::get<Registration>(outcome).tokens;
    }

    FakeStores stores_;
    CpuPool cpu_;
    AuthService service_;
};

TEST_F(AuthServiceTest, RegisterNormalizesTheEmailAndRefusesDuplicates) {
    registered("  Mixed@Example.COM ");
    ASSERT_EQ(stores_.users.size(), 1u);
    EXPECT_EQ(stores_.users.begin()->second.email, "mixed@example.com");
    const auto again = run(service_.register_user("MIXED@example.com", "Str0ng!Passw0rd"));
    EXPECT_EQ(std::get<AuthError>(again), AuthError::email_taken);
}

TEST_F(AuthServiceTest, LockIsCheckedBeforeThePassword) {
    registered("a@example.com");
    stores_.locked = true;
    const auto outcome = run(service_.login("a@example.com", "Str0ng!Passw0rd", "1.2.3.4"));
    EXPECT_EQ(std::get<AuthError>(outcome), AuthError::login_locked);
    EXPECT_EQ(stores_.failures, 0);
}

TEST_F(AuthServiceTest, FailuresAreRecordedForKnownAndUnknownEmailsAlike) {
    registered("a@example.com");
    EXPECT_EQ(std::get<AuthError>(run(service_.login("a@example.com", "Wrong!Passw0rd", "ip"))),
              AuthError::invalid_credentials);
    EXPECT_EQ(std::get<AuthError>(run(service_.login("x@example.com", "Wrong!Passw0rd", "ip"))),
              AuthError::invalid_credentials);
    EXPECT_EQ(stores_.failures, 2);
    const auto success = run(service_.login("A@example.com", "Str0ng!Passw0rd", "ip"));
    EXPECT_TRUE(std::holds_alternative<TokenPair>(std::get<LoginResult>(success)));
    EXPECT_EQ(stores_.clears, 1);
}

TEST_F(AuthServiceTest, CorruptStoredHashIsAnErrorNotAMismatch) {
    registered("a@example.com");
    stores_.users.begin()->second.password_hash = "not-a-phc-string";
    EXPECT_THROW(run(service_.login("a@example.com", "Str0ng!Passw0rd", "ip")), std::runtime_error);
}

TEST_F(AuthServiceTest, ReplayedRefreshTokenRevokesEverySessionOfTheUser) {
    const auto first = registered("a@example.com");
    const auto rotated = run(service_.refresh(first.refresh_token));
    ASSERT_TRUE(std::holds_alternative<TokenPair>(rotated));
    const auto replay = run(service_.refresh(first.refresh_token));
    EXPECT_EQ(std::get<AuthError>(replay), AuthError::refresh_reuse);
    EXPECT_EQ(stores_.revoke_all_calls, 1);
    EXPECT_EQ(
        std::get<AuthError>(run(service_.refresh(std::get<TokenPair>(rotated).refresh_token))),
        AuthError::session_invalid);
}

// Issue #15: within the grace window a rotated-out token gets the pair its first use got.
class RefreshGraceTest : public ::testing::Test {
protected:
    RefreshGraceTest()
        : cpu_(1, 8),
          service_(AuthSettings{.access_ttl = std::chrono::minutes(15),
                                .refresh_ttl = std::chrono::hours(24),
                                .verification_required = false,
                                .lockout = {},
                                .argon2 = {8192, 1},
                                .refresh_reuse_grace = std::chrono::seconds(10)},
                   stores_, stores_, stores_, cpu_, "access-secret-0123456789abcdef-0123456789",
                   "refresh-secret-0123456789abcdef-012345", &movable_now) {
        g_now = fixed_now();
    }

    TokenPair refreshed(const std::string& token) {
        auto outcome = run(service_.refresh(token));
        EXPECT_TRUE(std::holds_alternative<TokenPair>(outcome));
        return std::holds_alternative<TokenPair>(outcome) ? std::get<TokenPair>(outcome)
                                                          : TokenPair{};
    }

    FakeStores stores_;
    CpuPool cpu_;
    AuthService service_;
};

TEST_F(RefreshGraceTest, ARetryWithinTheWindowGetsTheSamePair) {
    auto outcome = run(service_.register_user("a@example.com", "Str0ng!Passw0rd"));
    const TokenPair first = *std::get<Registration>(outcome).tokens;
    const TokenPair second = refreshed(first.refresh_token);
    g_now += std::chrono::seconds(9);
    const TokenPair retried = refreshed(first.refresh_token);
    EXPECT_EQ(retried.access_token, second.access_token);
    EXPECT_EQ(retried.refresh_token, second.refresh_token);
    EXPECT_EQ(stores_.revoke_all_calls, 0);
    // Nothing of the pair is stored: the session holds only the hash of its current token.
    EXPECT_EQ(stores_.sessions.begin()->second.token.size(), 64U);
    // The successor rotates on as usual.
    refreshed(second.refresh_token);
}

TEST_F(RefreshGraceTest, AfterTheWindowOrForAGrandparentReuseIsDetected) {
    auto outcome = run(service_.register_user("a@example.com", "Str0ng!Passw0rd"));
    const TokenPair first = *std::get<Registration>(outcome).tokens;
    const TokenPair second = refreshed(first.refresh_token);
    const TokenPair third = refreshed(second.refresh_token);
    // `first` is a grandparent now: its window does not reopen.
    EXPECT_EQ(std::get<AuthError>(run(service_.refresh(first.refresh_token))),
              AuthError::refresh_reuse);
    EXPECT_EQ(stores_.revoke_all_calls, 1);
    (void)third;

    auto again = run(service_.register_user("b@example.com", "Str0ng!Passw0rd"));
    const TokenPair b1 = *std::get<Registration>(again).tokens;
    refreshed(b1.refresh_token);
    g_now += std::chrono::seconds(10);  // the window is [rotation, rotation + 10 s)
    EXPECT_EQ(std::get<AuthError>(run(service_.refresh(b1.refresh_token))),
              AuthError::refresh_reuse);
}

TEST_F(AuthServiceTest, LogoutWithARotatedOutTokenKeepsTheSession) {
    const auto first = registered("a@example.com");
    const auto rotated = std::get<TokenPair>(run(service_.refresh(first.refresh_token)));
    run(service_.logout(first.refresh_token));
    EXPECT_TRUE(stores_.sessions.begin()->second.valid);
    run(service_.logout(rotated.refresh_token));
    EXPECT_FALSE(stores_.sessions.begin()->second.valid);
}

TEST_F(AuthServiceTest, BearerAuthenticationFollowsContract58) {
    const auto pair = registered("a@example.com");
    EXPECT_EQ(std::get<AuthError>(run(service_.authenticate(""))), AuthError::unauthorized);
    EXPECT_EQ(std::get<AuthError>(run(service_.authenticate("Bearer   "))),
              AuthError::unauthorized);
    EXPECT_EQ(std::get<AuthError>(run(service_.authenticate("Token " + pair.access_token))),
              AuthError::unauthorized);
    EXPECT_EQ(std::get<AuthError>(run(service_.authenticate("Bearer " + pair.refresh_token))),
              AuthError::access_invalid);
    const auto caller = run(service_.authenticate("Bearer " + pair.access_token + "  "));
    ASSERT_TRUE(std::holds_alternative<Caller>(caller));
    EXPECT_EQ(service_.log_user("Bearer " + pair.access_token), std::get<Caller>(caller).user_id);

    run(service_.logout_all(std::get<Caller>(caller)));
    EXPECT_EQ(std::get<AuthError>(run(service_.authenticate("Bearer " + pair.access_token))),
              AuthError::session_invalid);
    stores_.users.clear();
    EXPECT_EQ(std::get<AuthError>(run(service_.authenticate("Bearer " + pair.access_token))),
              AuthError::unauthorized);
}

TEST_F(AuthServiceTest, OnlyOwnersAndAdminsSeeUsersWhetherOrNotTheyExist) {
    registered("a@example.com");
    const auto id = stores_.users.begin()->first;
    const Caller stranger{"someone-else", "s@example.com", Role::user, "s"};
    EXPECT_EQ(std::get<AuthError>(run(service_.find_user(stranger, id))), AuthError::forbidden);
    EXPECT_EQ(std::get<AuthError>(run(service_.find_user(stranger, "missing"))),
              AuthError::forbidden);
    const Caller admin{"admin", "admin@example.com", Role::admin, "s"};
    EXPECT_EQ(std::get<AuthError>(run(service_.find_user(admin, "missing"))),
              AuthError::user_not_found);
    const auto view = std::get<UserView>(
        run(service_.find_user(Caller{id, "a@example.com", Role::user, "s"}, id)));
    EXPECT_TRUE(view.owner);
}

// The one-time-token flows (contract 5.6, decisions B.7, B.10, C.1) against a recording store.
struct FakeTokens final : OneTimeTokenStore {
    std::vector<std::pair<EmailRequest, std::string>> requests;
    std::vector<std::string> presented;  // token hashes, in call order
    TokenCheck check = TokenCheck::valid;
    ResetOutcome reset{TokenCheck::valid, "Reset@Example.com"};
    std::string new_password_hash;
    int unverified_users = 0;

    Task<std::optional<User>> create_unverified_user(std::string_view id, std::string_view email,
                                                     std::string_view hash, TimePoint) override {
        ++unverified_users;
        co_return User{std::string(id), std::string(email), std::string(hash), Role::user, {}};
    }
    Task<void> request_email(EmailRequest kind, std::string_view email, TimePoint) override {
        requests.emplace_back(kind, std::string(email));
        co_return;
    }
    Task<TokenCheck> verify_email(std::string_view hash, TimePoint) override {
        presented.emplace_back(hash);
        co_return check;
    }
    Task<ResetOutcome> check_reset(std::string_view hash, TimePoint) override {
        presented.emplace_back(hash);
        co_return ResetOutcome{check, check == TokenCheck::valid ? reset.email : std::string()};
    }
    Task<ResetOutcome> reset_password(std::string_view hash, std::string_view password_hash,
                                      TimePoint) override {
        presented.emplace_back(hash);
        new_password_hash = password_hash;
        co_return reset;
    }
};

class TokenFlowsTest : public AuthServiceTest {
protected:
    TokenFlowsTest() { service_.set_one_time_tokens(&tokens_); }
    FakeTokens tokens_;
};

TEST_F(TokenFlowsTest, VerifyEmailPresentsTheHashAndMapsTheOutcome) {
    const std::string token = new_one_time_token();
    EXPECT_TRUE(std::holds_alternative<Done>(run(service_.verify_email(token))));
    EXPECT_EQ(tokens_.presented, std::vector<std::string>{sha256_hex(token)});
    tokens_.check = TokenCheck::expired;
    EXPECT_EQ(std::get<AuthError>(run(service_.verify_email(token))),
              AuthError::verification_expired);
    tokens_.check = TokenCheck::invalid;
    EXPECT_EQ(std::get<AuthError>(run(service_.verify_email(token))),
              AuthError::verification_invalid);
}

TEST_F(TokenFlowsTest, RequestsAreQueuedWithTheNormalizedEmailWhateverTheAccount) {
    run(service_.request_password_reset("  Someone@Example.COM "));
    run(service_.resend_verification("Other@example.com"));
    ASSERT_EQ(tokens_.requests.size(), 2u);
    EXPECT_EQ(tokens_.requests[0].first, EmailRequest::password_reset);
    EXPECT_EQ(tokens_.requests[0].second, "someone@example.com");
    EXPECT_EQ(tokens_.requests[1].first, EmailRequest::verification);
    EXPECT_EQ(tokens_.requests[1].second, "other@example.com");
    EXPECT_TRUE(stores_.users.empty()) << "no lookup on the request path (B.10)";
}

TEST_F(TokenFlowsTest, ResetWithAnUnusableTokenHashesNothingAndChangesNothing) {
    tokens_.check = TokenCheck::invalid;
    EXPECT_EQ(std::get<AuthError>(run(service_.reset_password("t", "N3w!Passw0rd"))),
              AuthError::reset_invalid);
    tokens_.check = TokenCheck::expired;
    EXPECT_EQ(std::get<AuthError>(run(service_.reset_password("t", "N3w!Passw0rd"))),
              AuthError::reset_expired);
    EXPECT_TRUE(tokens_.new_password_hash.empty());
    EXPECT_EQ(stores_.clears, 0);
}

TEST_F(TokenFlowsTest, ResetStoresANewArgon2HashAndClearsTheLockoutOfTheEmail) {
    const auto outcome = run(service_.reset_password("the-token", "N3w!Passw0rd"));
    EXPECT_TRUE(std::holds_alternative<Done>(outcome));
    EXPECT_EQ(tokens_.presented,
              (std::vector<std::string>{sha256_hex("the-token"), sha256_hex("the-token")}));
    EXPECT_TRUE(tokens_.new_password_hash.starts_with("$argon2id$"));
    EXPECT_EQ(verify_password("N3w!Passw0rd", tokens_.new_password_hash), PasswordCheck::match);
    EXPECT_EQ(stores_.clears, 1);
}

TEST_F(TokenFlowsTest, ResetLostToAConcurrentUseIsInvalid) {
    tokens_.reset = {TokenCheck::invalid, {}};
    EXPECT_EQ(std::get<AuthError>(run(service_.reset_password("t", "N3w!Passw0rd"))),
              AuthError::reset_invalid);
    EXPECT_EQ(stores_.clears, 0);
}

TEST(AuthTokenFlows, RegistrationRequiringVerificationGoesThroughTheTokenStore) {
    FakeStores stores;
    FakeTokens tokens;
    CpuPool cpu(1, 8);
    AuthSettings settings;
    settings.verification_required = true;
    settings.argon2 = {8192, 1};
    AuthService service(settings, stores, stores, stores, cpu,
                        "access-secret-0123456789abcdef-0123456789",
                        "refresh-secret-0123456789abcdef-012345", &fixed_now);
    service.set_one_time_tokens(&tokens);
    const auto outcome = run(service.register_user("New@Example.com", "Str0ng!Passw0rd"));
    const auto& registration = std::get<Registration>(outcome);
    EXPECT_TRUE(registration.verification_required);
    EXPECT_FALSE(registration.tokens.has_value());
    EXPECT_EQ(tokens.unverified_users, 1);
    EXPECT_TRUE(stores.users.empty()) << "the user is written with its token, not separately";
}

}  // namespace
}  // namespace portcullis::auth
