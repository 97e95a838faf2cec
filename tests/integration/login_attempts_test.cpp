// Lockout through the real binary with each store (decisions A.2): with a Redis URL the counters
// are `login_attempt:` keys with a TTL and the table stays empty; without, the LoginAttempt table.
// `portcullis login-attempts clear` unlocks in both.
#include <gtest/gtest.h>

#include <boost/json/value.hpp>

#include "http_client.hpp"
#include "private_redis.hpp"
#include "server_process.hpp"
#include "test_database.hpp"

namespace portcullis::test {
namespace {
using namespace std::chrono_literals;

constexpr const char* kPassword = "Correct-Horse-9!";

class LoginAttempts : public ::testing::TestWithParam<bool> {
protected:
    void SetUp() override {
        env_ = base_env();
        env_["DATABASE_URL"] = db_.url();
        env_["AUTH_ARGON2_MEMORY_KIB"] = "8192";
        env_["AUTH_ARGON2_ITERATIONS"] = "1";
        env_["AUTH_LOGIN_MAX_ATTEMPTS"] = "3";
        if (GetParam()) {
            redis_ = std::make_unique<PrivateRedis>();
            env_["RATE_LIMIT_REDIS_URL"] = redis_->url();
        }
        server_ =
            std::make_unique<ServerProcess>(env_, std::vector<std::string>{"serve", "--migrate"});
        ASSERT_TRUE(server_->wait_healthy(30s)) << server_->output();
        if (redis_) {
            // Every I/O thread's Redis connection is up: until then a thread counts failures in
            // the LoginAttempt table (/health does not wait on Redis).
            ASSERT_TRUE(server_->wait_for_line(
                [](const boost::json::value& line) {
                    return json_string_at(line, {"msg"}) == "Rate limit store connected";
                },
                10s))
                << server_->output();
        }
    }

    HttpResponse login(const std::string& email, const std::string& password) {
        return post_json(server_->port(), "/auth/login",
                         R"({"email":")" + email + R"(","password":")" + password + R"("})");
    }
    void lock(const std::string& email) {
        for (int i = 0; i < 3; ++i) EXPECT_EQ(login(email, "Wrong-Password-1!").status, 401);
        const auto locked = login(email, kPassword);
        EXPECT_EQ(locked.status, 429);
        EXPECT_EQ(
            locked.body,
            R"({"error":{"message":"Too many login attempts. Try again later.","code":"LOGIN_LOCKED"}})");
    }
    RunResult clear(std::vector<std::string> extra) {
        std::vector<std::string> args{"login-attempts", "clear"};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_binary(env_, args);
    }
    std::size_t table_rows() { return db_.query("SELECT 1 FROM \"LoginAttempt\"").size(); }

    TestDatabase db_;
    Env env_;
    std::unique_ptr<PrivateRedis> redis_;
    std::unique_ptr<ServerProcess> server_;
};

TEST_P(LoginAttempts, LockoutLivesInTheConfiguredStoreAndTheClearCommandUnlocks) {
    const std::string email = "lock@example.com";
    ASSERT_EQ(post_json(server_->port(), "/auth/register",
                        R"({"email":")" + email + R"(","password":")" + kPassword + R"("})")
                  .status,
              201);
    lock(email);
    if (redis_) {
        const std::string key = "login_attempt:{" + email + "}:::ffff:127.0.0.1";
        EXPECT_EQ(redis_->cli("EXISTS " + key), std::vector<std::string>{"1"});
        const auto ttl = redis_->cli("PTTL " + key);
        ASSERT_EQ(ttl.size(), 1u);
        EXPECT_GT(std::stoll(ttl[0]), 14 * 60 * 1000);  // the 15-minute lockout
        EXPECT_EQ(table_rows(), 0u);
    } else {
        EXPECT_EQ(table_rows(), 1u);
    }

    const auto cleared = clear({"--email", "LOCK@Example.com"});
    ASSERT_EQ(cleared.exit_code, 0) << cleared.output;
    EXPECT_EQ(login(email, kPassword).status, 200);
    if (redis_) {
        EXPECT_TRUE(redis_->cli("--scan --pattern 'login_attempt:*'").empty());
    }
    EXPECT_EQ(table_rows(), 0u);

    // One address only.
    lock(email);
    const auto other_ip = clear({"--email", email, "--ip", "203.0.113.9"});
    ASSERT_EQ(other_ip.exit_code, 0) << other_ip.output;
    EXPECT_EQ(login(email, kPassword).status, 429);
    // The plain IPv4 form also clears the record of the mapped form the server saw.
    const auto this_ip = clear({"--email", email, "--ip", "127.0.0.1"});
    ASSERT_EQ(this_ip.exit_code, 0) << this_ip.output;
    EXPECT_EQ(login(email, kPassword).status, 200);
}

// Decisions B.7 with A.4: a password reset while Redis is down still answers 204 (the reset is
// committed before the lockout is cleared), and logins fall back to the table meanwhile.
class LoginAttemptsInRedis : public LoginAttempts {};

TEST_P(LoginAttemptsInRedis, PasswordResetSucceedsWhileRedisIsDown) {
    const std::string email = "outage@example.com";
    ASSERT_EQ(post_json(server_->port(), "/auth/register",
                        R"({"email":")" + email + R"(","password":")" + kPassword + R"("})")
                  .status,
              201);
    redis_->stop();
    EXPECT_EQ(post_json(server_->port(), "/auth/request-password-reset",
                        R"({"email":")" + email + R"("})")
                  .status,
              202);
    // Without SMTP outside production the token is logged as an example link (contract 8.4).
    const auto line = server_->wait_for_line(
        [](const boost::json::value& v) {
            return json_string_at(v, {"msg"}) == "Password reset token ready";
        },
        10s);
    ASSERT_TRUE(line) << server_->output();
    const std::string link = json_string_at(*line, {"exampleLink"});
    const std::string token = link.substr(link.find("token=") + 6);
    const auto reset = post_json(server_->port(), "/auth/reset-password",
                                 R"({"token":")" + token + R"(","password":"Brand-New-Pass1!"})");
    EXPECT_EQ(reset.status, 204) << reset.body;
    EXPECT_EQ(login(email, "Brand-New-Pass1!").status, 200);
}

TEST_P(LoginAttempts, ClearNeedsAnEmail) {
    const auto result = clear({});
    EXPECT_NE(result.exit_code, 0);
    EXPECT_NE(result.output.find("--email"), std::string::npos) << result.output;
}

INSTANTIATE_TEST_SUITE_P(Store, LoginAttemptsInRedis, ::testing::Values(true),
                         [](const auto&) { return "Redis"; });
INSTANTIATE_TEST_SUITE_P(Stores, LoginAttempts, ::testing::Values(false, true),
                         [](const auto& i) { return i.param ? "Redis" : "Table"; });

}  // namespace
}  // namespace portcullis::test
