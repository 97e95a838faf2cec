// TOTP multi-factor authentication over HTTP against the real binary (issue #16): enrolment,
// logins with a code and with a recovery code, each accepted once, disabling; the mfaToken is
// useless alone, expires, cannot be replayed and dies with a password change; MFA failures and
// password failures lock separately (LoginAttempt/MfaAttempt tables and Redis keys); without
// AUTH_MFA_ENCRYPTION_KEY nothing is bypassed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fresh_server.hpp"
#include "harness.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "test_database.hpp"
#include "totp.hpp"

namespace portcullis::test {
namespace {
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr const char* kPassword = "Zq8-unusual!Phrase";
constexpr const char* kMfaKey = "test-mfa-key-0123456789abcdef-0123456789";

boost::json::object parse_object(const std::string& body) {
    return boost::json::parse(body).as_object();
}

std::string str(const boost::json::object& o, const char* key) {
    return std::string(o.at(key).as_string());
}

std::string code_of(const HttpResponse& r) {
    const auto body = boost::json::parse(r.body).as_object();
    return str(body.at("error").as_object(), "code");
}

class Mfa : public ::testing::TestWithParam<const char*>, protected FreshServer {
protected:
    Env env(Env overrides = {}) const {
        overrides.try_emplace("AUTH_MFA_ENCRYPTION_KEY", kMfaKey);
        overrides.try_emplace("AUTH_MFA_ISSUER", "Portcullis Test");
        if (std::string(GetParam()) == "redis") {
            overrides.try_emplace("RATE_LIMIT_REDIS_URL", require_redis());
        }
        return fresh_env(overrides);
    }

    void start(Env overrides = {}) {
        server_ = launch(env(std::move(overrides)));
        ASSERT_TRUE(poll_until(
            server_->port(), "/ready", [](const HttpResponse& r) { return r.status == 200; }, 10s))
            << server_->output();
    }

    HttpResponse post(const std::string& path, const std::string& body,
                      const std::string& access_token = {}) {
        return post_as(server_->port(), path, body, access_token);
    }

    HttpResponse login(const std::string& password = kPassword) {
        return post("/auth/login",
                    R"({"email":"alice@example.com","password":")" + password + R"("})");
    }

    // The mfaToken of a login whose password is right.
    std::string challenged() {
        const auto r = login();
        EXPECT_EQ(r.status, 401) << r.body;
        EXPECT_EQ(code_of(r), "MFA_REQUIRED");
        return str(parse_object(r.body), "mfaToken");
    }

    HttpResponse answer(const std::string& token, const std::string& field,
                        const std::string& value) {
        return post("/auth/login/mfa",
                    R"({"mfaToken":")" + token + R"(",")" + field + R"(":")" + value + R"("})");
    }

    // Registers alice and enrols her: her access token, secret and recovery codes.
    void enrol() {
        const auto registered =
            post("/auth/register",
                 R"({"email":"alice@example.com","password":")" + std::string(kPassword) + R"("})");
        ASSERT_EQ(registered.status, 201) << registered.body;
        access_ = str(parse_object(registered.body), "accessToken");
        // The enrolment and the logins after it need three steps of the window: not across
        // the end of one.
        if (seconds_left_in_step() < 5) std::this_thread::sleep_for(6s);
        const auto setup = post("/auth/mfa/totp/setup",
                                R"({"password":")" + std::string(kPassword) + R"("})", access_);
        ASSERT_EQ(setup.status, 200) << setup.body;
        const auto body = parse_object(setup.body);
        secret_ = str(body, "secret");
        EXPECT_THAT(
            str(body, "otpauthUri"),
            HasSubstr("otpauth://totp/Portcullis%20Test:alice%40example.com?secret=" + secret_));
        EXPECT_THAT(str(body, "qrCodeSvg"), ::testing::StartsWith("<svg "));
        // Not enabled yet: a login needs no second factor.
        EXPECT_EQ(login().status, 200);
        const auto confirmed =
            post("/auth/mfa/totp/confirm", R"({"code":")" + totp_code(secret_) + R"("})", access_);
        ASSERT_EQ(confirmed.status, 200) << confirmed.body;
        const auto confirmed_body = parse_object(confirmed.body);
        for (const auto& code : confirmed_body.at("recoveryCodes").as_array()) {
            recovery_.emplace_back(code.as_string());
        }
        ASSERT_EQ(recovery_.size(), 10U);
    }

    std::unique_ptr<ServerProcess> server_;
    std::string access_;
    std::string secret_;
    std::vector<std::string> recovery_;
};

TEST_P(Mfa, EnrolmentLoginsWithACodeAndARecoveryCodeEachOnceThenDisable) {
    start();
    enrol();
    // The secret is stored sealed, the recovery codes as hashes.
    const auto stored = db_->query_scalar(R"(SELECT secret FROM "MfaTotp")");
    ASSERT_TRUE(stored.has_value());
    EXPECT_THAT(*stored, ::testing::StartsWith("v1:"));
    EXPECT_THAT(*stored, Not(HasSubstr(secret_)));
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "MfaRecoveryCode")"), "10");
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "MfaRecoveryCode" WHERE "codeHash" = ')" +
                                recovery_[0] + "'"),
              "0");

    // Password, then the next step's code (the confirming code's step is used up).
    const std::string first_token = challenged();
    const std::string code = totp_code(secret_, 1);
    const auto with_code = answer(first_token, "code", code);
    ASSERT_EQ(with_code.status, 200) << with_code.body;
    const auto pair = parse_object(with_code.body);
    EXPECT_EQ(get(server_->port(), "/auth/sessions",
                  {{"Authorization", "Bearer " + str(pair, "accessToken")}})
                  .status,
              200);

    // A recovery code, typed in upper case without dashes, works once.
    std::string typed;
    for (const char c : recovery_[0]) {
        if (c != '-')
            typed.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
    }
    const auto with_recovery = answer(challenged(), "recoveryCode", typed);
    EXPECT_EQ(with_recovery.status, 200) << with_recovery.body;

    // The same code and the same recovery code are refused; the used mfaToken is void.
    const std::string third = challenged();
    const auto same_code = answer(third, "code", code);
    EXPECT_EQ(same_code.status, 401);
    EXPECT_EQ(code_of(same_code), "MFA_CODE_INVALID");
    const auto same_recovery = answer(third, "recoveryCode", recovery_[0]);
    EXPECT_EQ(code_of(same_recovery), "MFA_CODE_INVALID");
    const auto replayed = answer(first_token, "code", totp_code(secret_));
    EXPECT_EQ(replayed.status, 401);
    EXPECT_EQ(code_of(replayed), "MFA_TOKEN_INVALID");

    // Disabling needs the password and a second factor.
    const auto without_factor = post(
        "/auth/mfa/totp/disable", R"({"password":")" + std::string(kPassword) + R"("})", access_);
    EXPECT_EQ(without_factor.status, 400);
    const auto wrong_password =
        post("/auth/mfa/totp/disable",
             R"({"password":"Wrong-Passw0rd!","recoveryCode":")" + recovery_[1] + R"("})", access_);
    EXPECT_EQ(code_of(wrong_password), "CURRENT_PASSWORD_INVALID");
    const auto disabled = post("/auth/mfa/totp/disable",
                               R"({"password":")" + std::string(kPassword) +
                                   R"(","recoveryCode":")" + recovery_[1] + R"("})",
                               access_);
    EXPECT_EQ(disabled.status, 204) << disabled.body;
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "MfaTotp")"), "0");
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "MfaRecoveryCode")"), "0");
    EXPECT_EQ(login().status, 200);
    EXPECT_THAT(server_->output(), Not(HasSubstr(secret_)));
    EXPECT_THAT(server_->output(), Not(HasSubstr(recovery_[2])));
}

TEST_P(Mfa, TheMfaTokenIsUselessAloneExpiresAndDiesWithThePassword) {
    start();
    enrol();
    const std::string token = challenged();
    // Not an access token, not a refresh token, no session without a code.
    const auto as_bearer =
        get(server_->port(), "/auth/sessions", {{"Authorization", "Bearer " + token}});
    EXPECT_EQ(as_bearer.status, 401);
    EXPECT_EQ(code_of(as_bearer), "JWT_ACCESS_INVALID");
    const auto as_refresh = post("/auth/refresh", R"({"refreshToken":")" + token + R"("})");
    EXPECT_EQ(code_of(as_refresh), "JWT_REFRESH_INVALID");
    EXPECT_EQ(code_of(answer(token, "code", "000000")), "MFA_CODE_INVALID");
    const auto sessions_before = db_->query_scalar(R"(SELECT count(*) FROM "Session")");
    EXPECT_EQ(sessions_before, "2");  // register and the login before the enrolment
    // Stored as a hash only.
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "MfaChallenge" WHERE "tokenHash" = ')" +
                                token + "'"),
              "0");

    // Expired (5 minutes): moved into the past rather than waited for.
    db_->exec(
        R"(UPDATE "MfaChallenge" SET "expiresAt" = (now() AT TIME ZONE 'UTC') - interval '1 second')");
    EXPECT_EQ(code_of(answer(token, "code", totp_code(secret_, 1))), "MFA_TOKEN_INVALID");

    // A password change voids a pending challenge.
    const std::string pending = challenged();
    const auto changed = post("/auth/change-password",
                              R"({"currentPassword":")" + std::string(kPassword) +
                                  R"(","newPassword":"Fresh-Phrase#71q"})",
                              access_);
    ASSERT_EQ(changed.status, 204) << changed.body;
    EXPECT_EQ(code_of(answer(pending, "code", totp_code(secret_, 1))), "MFA_TOKEN_INVALID");
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "Session" WHERE valid)"), "1");
}

TEST_P(Mfa, PasswordFailuresDoNotLockMfaAndMfaFailuresDoNotLockThePassword) {
    start({{"AUTH_LOGIN_MAX_ATTEMPTS", "3"}});
    enrol();
    const std::string before_lock = challenged();
    for (int i = 0; i < 3; ++i) EXPECT_EQ(login("Wrong-Passw0rd!").status, 401);
    EXPECT_EQ(code_of(login()), "LOGIN_LOCKED");
    // The password lock leaves the second factor alone.
    const auto finished = answer(before_lock, "code", totp_code(secret_, 1));
    EXPECT_EQ(finished.status, 200) << finished.body;

    // Unlock the password only (--ip clears login attempts, not the MFA count).
    const auto cleared = run_command(env(), {"login-attempts", "clear", "--email",
                                             "alice@example.com", "--ip", "::ffff:127.0.0.1"});
    ASSERT_EQ(cleared.exit_code, 0) << cleared.err;
    const std::string token = challenged();
    std::set<std::string> valid{totp_code(secret_, -1), totp_code(secret_), totp_code(secret_, 1)};
    std::string wrong = "000000";
    while (valid.count(wrong) != 0) wrong[5]++;
    for (int i = 0; i < 3; ++i)
        EXPECT_EQ(code_of(answer(token, "code", wrong)), "MFA_CODE_INVALID");
    const auto locked = answer(token, "code", totp_code(secret_, 1));
    EXPECT_EQ(locked.status, 429);
    EXPECT_EQ(code_of(locked), "MFA_LOCKED");
    // The MFA lock leaves the password alone: the password step still answers a challenge.
    EXPECT_EQ(code_of(login()), "MFA_REQUIRED");
    if (std::string(GetParam()) == "table") {
        EXPECT_EQ(db_->query_scalar(R"(SELECT "failCount" FROM "MfaAttempt"
                                       WHERE "emailLowercase" = 'alice@example.com'
                                         AND "ipAddress" = '*')"),
                  "3");
        EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "LoginAttempt")"), "0");
    }
    // An operator unlock without --ip clears the MFA count too.
    const auto unlocked =
        run_command(env(), {"login-attempts", "clear", "--email", "alice@example.com"});
    ASSERT_EQ(unlocked.exit_code, 0) << unlocked.err;
    // (The steps of the window are used up by now: a recovery code.)
    EXPECT_EQ(answer(token, "recoveryCode", recovery_[0]).status, 200);
}

TEST_P(Mfa, WithoutTheKeyNothingIsBypassed) {
    start();
    enrol();
    server_.reset();
    start({{"AUTH_MFA_ENCRYPTION_KEY", ""}});
    // The account still needs its second factor; codes cannot be checked, recovery codes can.
    const std::string token = challenged();
    const auto code = answer(token, "code", totp_code(secret_, 1));
    EXPECT_EQ(code.status, 503);
    EXPECT_EQ(code_of(code), "MFA_NOT_CONFIGURED");
    EXPECT_EQ(answer(token, "recoveryCode", recovery_[0]).status, 200);
    const auto setup = post("/auth/mfa/totp/setup",
                            R"({"password":")" + std::string(kPassword) + R"("})", access_);
    EXPECT_EQ(code_of(setup), "MFA_NOT_CONFIGURED");

    // Another key cannot open the sealed secret: a server error, never a pass.
    server_.reset();
    start({{"AUTH_MFA_ENCRYPTION_KEY", "another-key-0123456789abcdef-0123456789"}});
    const auto other_key = answer(challenged(), "code", totp_code(secret_, 1));
    EXPECT_EQ(other_key.status, 500) << other_key.body;
}

TEST_P(Mfa, ManagementRoutesNeedTheRightState) {
    start();
    const auto registered = post("/auth/register", R"({"email":"alice@example.com","password":")" +
                                                       std::string(kPassword) + R"("})");
    ASSERT_EQ(registered.status, 201);
    const std::string access = str(parse_object(registered.body), "accessToken");
    EXPECT_EQ(code_of(post("/auth/mfa/totp/confirm", R"({"code":"123456"})", access)),
              "MFA_SETUP_REQUIRED");
    EXPECT_EQ(code_of(post("/auth/mfa/recovery-codes", R"({"code":"123456"})", access)),
              "MFA_NOT_ENABLED");
    EXPECT_EQ(code_of(post("/auth/mfa/totp/setup", R"({"password":"Wrong-Passw0rd!"})", access)),
              "CURRENT_PASSWORD_INVALID");
    EXPECT_EQ(post("/auth/mfa/totp/setup", R"({"password":"x"})").status, 401);
    const auto both =
        post("/auth/login/mfa", R"({"mfaToken":"0123456789012345678901234","code":"123456",)"
                                R"("recoveryCode":"aaaa-bbbb-cccc-dddd"})");
    EXPECT_EQ(both.status, 400);
    EXPECT_THAT(both.body, HasSubstr("Provide exactly one of code or recoveryCode"));
}

INSTANTIATE_TEST_SUITE_P(Store, Mfa, ::testing::Values("table", "redis"),
                         [](const auto& i) { return std::string(i.param); });

}  // namespace
}  // namespace portcullis::test
