// The session cleanup job inside `serve` (contract 12; issue #12): a round at start that only one
// of several replicas works, batches short enough that a million expired rows never make a
// statement longer than a second, and /ready green throughout.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "harness.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "test_database.hpp"

namespace portcullis::test {
namespace {
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr const char* kUserId = "7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6";

class SessionCleanup : public ::testing::Test {
protected:
    void SetUp() override {
        db_ = std::make_unique<TestDatabase>();
        const auto migrated = run_command({{"DATABASE_URL", db_->url()}}, {"migrate", "deploy"});
        ASSERT_EQ(migrated.exit_code, 0) << migrated.out << migrated.err;
        db_->exec(std::string(R"(INSERT INTO "User" (id, email, password, "updatedAt")
                                 VALUES (')") +
                  kUserId + "', 'owner@example.com', 'x', now())");
    }

    // `expired` sessions idle for two hours, `revoked` invalid ones and `live` fresh ones.
    void seed(int expired, int revoked, int live) {
        db_->exec(std::string(R"(INSERT INTO "Session" (id, "userId", token, valid, "updatedAt")
            SELECT 'expired-' || g, ')") +
                  kUserId + R"(', 'h', true,
                   now() AT TIME ZONE 'UTC' - interval '2 hours'
            FROM generate_series(1, )" +
                  std::to_string(expired) + R"() g;
            INSERT INTO "Session" (id, "userId", token, valid, "updatedAt")
            SELECT 'revoked-' || g, ')" +
                  kUserId + R"(', '', false, now() AT TIME ZONE 'UTC'
            FROM generate_series(1, )" +
                  std::to_string(revoked) + R"() g;
            INSERT INTO "Session" (id, "userId", token, valid, "updatedAt")
            SELECT 'live-' || g, ')" +
                  kUserId + R"(', 'h', true, now() AT TIME ZONE 'UTC'
            FROM generate_series(1, )" +
                  std::to_string(live) + ") g");
    }

    Env env() const {
        auto e = base_env();
        e["DATABASE_URL"] = db_->url();
        e["JWT_REFRESH_EXPIRY"] = "1h";
        e["SESSION_CLEANUP_INTERVAL_MINUTES"] = "1";
        return e;
    }

    long sessions_left() {
        return std::stol(db_->query_scalar(R"(SELECT count(*) FROM "Session")").value_or("-1"));
    }

    std::unique_ptr<TestDatabase> db_;
};

// The `removed` counts a process logged for its cleanup rounds.
std::vector<long> removals(const ServerProcess& server) {
    std::vector<long> counts;
    const std::regex pattern(R"(^\[sessionCleanup\] removed (\d+) expired/invalid session\(s\)$)");
    for (const auto& line : server.json_lines()) {
        std::smatch match;
        const std::string msg = json_string_at(line, {"msg"});
        if (std::regex_match(msg, match, pattern)) counts.push_back(std::stol(match[1]));
    }
    return counts;
}

TEST_F(SessionCleanup, TwoReplicasDeleteEachSessionOnceAndOnlyOneLogsTheRound) {
    // Enough rows that the first round is still running when the second replica starts its own.
    seed(150000, 50000, 1000);
    ServerProcess first(env());
    ServerProcess second(env());
    ASSERT_TRUE(first.wait_healthy(30s)) << first.output();
    ASSERT_TRUE(second.wait_healthy(30s)) << second.output();
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (sessions_left() != 1000 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(50ms);
    }
    ASSERT_EQ(sessions_left(), 1000);
    // The process that cleaned logs its one line; wait for it, then compare both.
    ASSERT_TRUE(first.wait_for_line(
                    [](const auto& l) {
                        return json_string_at(l, {"msg"}).rfind("[sessionCleanup]", 0) == 0;
                    },
                    5s) ||
                second.wait_for_line(
                    [](const auto& l) {
                        return json_string_at(l, {"msg"}).rfind("[sessionCleanup]", 0) == 0;
                    },
                    5s));
    const auto a = removals(first);
    const auto b = removals(second);
    EXPECT_EQ(a.size() + b.size(), 1U) << first.output() << second.output();
    const long total = (a.empty() ? 0 : a[0]) + (b.empty() ? 0 : b[0]);
    EXPECT_EQ(total, 200000);
    for (const auto* server : {&first, &second}) {
        EXPECT_THAT(server->output(), ::testing::Not(HasSubstr("cleanup failed")));
    }
}

TEST_F(SessionCleanup, AMillionExpiredRowsNeverMakeAStatementLongerThanOneSecond) {
    const auto server_log =
        std::filesystem::path(require_postgres_data()).parent_path() / "server.log";
    ASSERT_TRUE(std::filesystem::exists(server_log)) << server_log;
    seed(1000000, 0, 10);
    // Every statement of this database is logged with its duration from now on.
    db_->exec("ALTER DATABASE \"" + db_->name() + "\" SET log_min_duration_statement = 0");
    const auto log_start = std::filesystem::file_size(server_log);

    ServerProcess server(env());
    ASSERT_TRUE(server.wait_healthy(30s)) << server.output();
    int ready = 0;
    int not_ready = 0;
    const auto deadline = std::chrono::steady_clock::now() + 240s;
    while (removals(server).empty() && std::chrono::steady_clock::now() < deadline) {
        (get(server.port(), "/ready").status == 200 ? ready : not_ready) += 1;
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_EQ(removals(server), std::vector<long>{1000000}) << server.output();
    EXPECT_EQ(sessions_left(), 10);
    EXPECT_GT(ready, 0);
    EXPECT_EQ(not_ready, 0);

    // Each batch statement as Postgres saw it: how many, and the slowest.
    std::ifstream log(server_log);
    log.seekg(static_cast<std::streamoff>(log_start));
    const std::regex duration(R"(duration: ([0-9.]+) ms\s+execute cleanup_delete_batch)");
    std::string line;
    int batches = 0;
    double slowest = 0;
    while (std::getline(log, line)) {
        std::smatch match;
        if (!std::regex_search(line, match, duration)) continue;
        ++batches;
        slowest = std::max(slowest, std::stod(match[1]));
    }
    EXPECT_GE(batches, 200);  // 5,000 rows a statement
    EXPECT_LT(slowest, 1000.0);
    std::printf("[ figures  ] %d cleanup statements, slowest %.1f ms, %d /ready probes all 200\n",
                batches, slowest, ready);
}

}  // namespace
}  // namespace portcullis::test
