// Replicas behind a load balancer (issue #17, points 1-3): three replicas of the binary under test
// behind HAProxy in TCP mode (scripts/cluster.sh: an L4 balancer, nothing retried), sharing a fresh
// database, a private Redis and the stack's SMTP sink. A rolling restart under a steady mixed load
// fails no request; the state the replicas share behaves as one: one combined rate limit, lockout
// counted across replicas, each outbox email sent once, each expired session deleted once.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "cluster.hpp"
#include "harness.hpp"
#include "http_client.hpp"
#include "load.hpp"
#include "private_redis.hpp"
#include "server_process.hpp"
#include "test_database.hpp"

namespace portcullis::test {
namespace {
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr int kResetLimit = 20;  // RATE_LIMIT_RPM_AUTH_PASSWORD_RESET over a 60 s window

class ClusterTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto smtp = require_smtp();
        maildir_ = smtp.maildir;
        const std::map<std::string, std::string> env{
            {"APP_ENV", "development"},
            {"DATABASE_URL", database_.url()},
            {"RATE_LIMIT_REDIS_URL", redis_.url()},
            {"JWT_ACCESS_SECRET", "test-access-secret-0123456789abcdef-0123456789"},
            {"JWT_REFRESH_SECRET", "test-refresh-secret-fedcba9876543210-fedcba98"},
            {"LOG_LEVEL", "info"},
            {"IO_THREADS", "1"},
            {"RATE_LIMIT_WINDOW_SEC", "60"},
            {"RATE_LIMIT_RPM", "100000000"},
            {"RATE_LIMIT_RPM_AUTH", "100000000"},
            {"RATE_LIMIT_RPM_AUTH_REGISTER", "100000000"},
            {"RATE_LIMIT_RPM_AUTH_PASSWORD_RESET", std::to_string(kResetLimit)},
            {"AUTH_LOGIN_MAX_ATTEMPTS", "3"},
            {"AUTH_ARGON2_MEMORY_KIB", "8192"},
            {"AUTH_ARGON2_ITERATIONS", "1"},
            {"SMTP_HOST", smtp.host},
            {"SMTP_PORT", smtp.port},
            {"SMTP_FROM", "Portcullis <no-reply@example.com>"},
            {"EMAIL_OUTBOX_POLL_INTERVAL_MS", "200"},
        };
        cluster_ = std::make_unique<Cluster>(env);
    }

    std::uint16_t port() const { return cluster_->port(); }

    // How many replicas logged a request for `path` at least once.
    int replicas_that_served(const std::string& path) const {
        std::this_thread::sleep_for(300ms);  // the replicas flush their logs every 50 ms
        int n = 0;
        for (int i = 1; i <= cluster_->replicas(); ++i) {
            n += cluster_->count_in_log(i, "\"url\":\"" + path) > 0 ? 1 : 0;
        }
        return n;
    }

    // Messages in the sink's Maildir whose envelope recipient starts with `prefix`, per address.
    std::map<std::string, int> mails_by_recipient(const std::string& prefix) const {
        std::map<std::string, int> out;
        for (const char* sub : {"new", "cur"}) {
            std::error_code ec;
            for (const auto& entry : fs::directory_iterator(fs::path(maildir_) / sub, ec)) {
                std::ifstream in(entry.path());
                for (std::string line; std::getline(in, line);) {
                    if (line.empty() || line == "\r") break;  // end of the headers
                    if (line.rfind("X-RcptTo: ", 0) != 0) continue;
                    std::string to = line.substr(10);
                    while (!to.empty() && (to.back() == '\r' || to.back() == ' ')) to.pop_back();
                    if (to.rfind(prefix, 0) == 0) ++out[to];
                }
            }
        }
        return out;
    }

    TestDatabase database_;
    PrivateRedis redis_;
    std::string maildir_;
    std::unique_ptr<Cluster> cluster_;
};

TEST_F(ClusterTest, RollingRestartUnderMixedLoadFailsNoRequestInTcpMode) {
    const bool asan = sanitizer_run();
    LoadRun load(
        port(), 120s,
        {"--connections", asan ? "8" : "16", "--mix", "health=1,read=4,refresh=2,login=1"});
    std::this_thread::sleep_for(asan ? 3s : 1500ms);
    const std::string rolled = cluster_->run("roll");
    std::this_thread::sleep_for(1s);
    const auto result = load.stop();
    std::cout << rolled << "rolling restart (tcp): " << result.summary() << "\n";
    RecordProperty("load", result.summary());
    EXPECT_GT(result.ok, asan ? 100 : 1000) << result.summary();
    EXPECT_EQ(result.failed, 0) << result.summary();
    EXPECT_EQ(result.connect_errors, 0) << result.summary();
    for (const char* op : {"health", "read", "refresh", "login"}) {
        EXPECT_GT(result.raw.at("by_op").at(op).at("ok").to_number<std::int64_t>(), 0) << op;
    }
    // Every replica was replaced: each log shows two starts.
    for (int i = 1; i <= cluster_->replicas(); ++i) {
        EXPECT_EQ(cluster_->count_in_log(i, "\"msg\":\"API server listening\""), 2u) << i;
    }
}

TEST_F(ClusterTest, OneCombinedRateLimitAcrossReplicas) {
    int accepted = 0;
    int limited = 0;
    for (int i = 0; i < 3 * kResetLimit; ++i) {
        // A new connection each time: the balancer spreads them over the replicas.
        const auto r = post_json(port(), "/auth/resend-verification",
                                 R"({"email":"nobody-)" + std::to_string(i) + R"(@example.com"})");
        accepted += r.status == 202 ? 1 : 0;
        limited += r.status == 429 ? 1 : 0;
    }
    EXPECT_EQ(accepted, kResetLimit);
    EXPECT_EQ(limited, 2 * kResetLimit);
    EXPECT_EQ(replicas_that_served("/auth/resend-verification"), cluster_->replicas());
}

TEST_F(ClusterTest, LockoutIsCountedAcrossReplicas) {
    const std::string email = "locked-across@example.com";
    ASSERT_EQ(post_json(port(), "/auth/register",
                        R"({"email":")" + email + R"(","password":"Right-password-123"})")
                  .status,
              201);
    for (int i = 0; i < 3; ++i) {
        const auto r = post_json(port(), "/auth/login",
                                 R"({"email":")" + email + R"(","password":"Wrong-password-123"})");
        EXPECT_EQ(r.status, 401) << r.body;
    }
    // Three failures, each maybe on another replica, lock the account everywhere.
    for (int i = 0; i < 3; ++i) {
        const auto r = post_json(port(), "/auth/login",
                                 R"({"email":")" + email + R"(","password":"Right-password-123"})");
        EXPECT_EQ(r.status, 429) << r.body;
        EXPECT_NE(r.body.find("LOGIN_LOCKED"), std::string::npos) << r.body;
    }
    EXPECT_EQ(replicas_that_served("/auth/login"), cluster_->replicas());
}

TEST_F(ClusterTest, EachOutboxEmailIsSentOnce) {
    const std::string prefix = "outbox-once-" + std::to_string(::getpid()) + "-";
    for (int i = 0; i < kResetLimit; ++i) {
        const std::string email = prefix + std::to_string(i) + "@example.com";
        ASSERT_EQ(post_json(port(), "/auth/register",
                            R"({"email":")" + email + R"(","password":"Outbox-password-123"})")
                      .status,
                  201);
        ASSERT_EQ(
            post_json(port(), "/auth/request-password-reset", R"({"email":")" + email + R"("})")
                .status,
            202);
    }
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    while (mails_by_recipient(prefix).size() < static_cast<std::size_t>(kResetLimit) &&
           std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(100ms);
    }
    // Every replica polls the outbox every 200 ms: give them many more rounds to send twice.
    std::this_thread::sleep_for(2s);
    const auto mails = mails_by_recipient(prefix);
    EXPECT_EQ(mails.size(), static_cast<std::size_t>(kResetLimit));
    for (const auto& [to, count] : mails) EXPECT_EQ(count, 1) << to;
    int senders = 0;
    for (int i = 1; i <= cluster_->replicas(); ++i) {
        senders += cluster_->count_in_log(i, "email sent via SMTP") > 0 ? 1 : 0;
    }
    std::cout << "outbox: " << mails.size() << " emails, sent by " << senders << " replicas\n";
}

TEST_F(ClusterTest, EachExpiredSessionIsDeletedOnceWhenReplicasRollTogether) {
    constexpr int kExpired = 2000;
    database_.exec(R"(INSERT INTO "User" (id, email, password, "createdAt", "updatedAt", role)
                      VALUES ('cleanup-user', 'cleanup@example.com', 'x', now(), now(), 'USER'))");
    database_.exec(R"(INSERT INTO "Session" (id, "userId", token, valid, "createdAt", "updatedAt")
                      SELECT 'expired-' || g, 'cleanup-user', '', false, now(), now()
                      FROM generate_series(1, )" +
                   std::to_string(kExpired) + ") AS g");
    // Each replaced replica runs a cleanup round as it starts.
    cluster_->run("roll");
    const auto left =
        database_.query_scalar(R"(SELECT count(*) FROM "Session" WHERE "userId" = 'cleanup-user')");
    EXPECT_EQ(left, "0");
    long removed = 0;
    int lines = 0;
    const std::regex pattern(R"(\[sessionCleanup\] removed (\d+) )");
    for (int i = 1; i <= cluster_->replicas(); ++i) {
        std::istringstream in(cluster_->replica_log(i));
        for (std::string line; std::getline(in, line);) {
            std::smatch match;
            if (std::regex_search(line, match, pattern)) {
                removed += std::stol(match[1]);
                ++lines;
            }
        }
    }
    EXPECT_EQ(removed, kExpired);
    EXPECT_EQ(lines, 1);
}

}  // namespace
}  // namespace portcullis::test
