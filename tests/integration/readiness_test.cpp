// GET /ready against a real Postgres (contract 4.3, 11): green with the database, 503 NOT_READY
// within a second of losing it, green again within two seconds of its return, no restart.
#include <gtest/gtest.h>

#include <signal.h>

#include <thread>

#include "http_client.hpp"
#include "private_postgres.hpp"
#include "server_process.hpp"

namespace portcullis::test {
namespace {
using namespace std::chrono_literals;

// Polls /ready until it answers `status`; the time that took, or nullopt after `limit`.
std::optional<std::chrono::milliseconds> time_until_ready_status(std::uint16_t port, int status,
                                                                 std::chrono::milliseconds limit) {
    return poll_until(
        port, "/ready", [status](const HttpResponse& r) { return r.status == status; }, limit);
}

TEST(Readiness, FollowsPostgresDownAndBackWithoutRestart) {
    PrivatePostgres postgres;
    auto env = base_env();
    env["DATABASE_URL"] = postgres.url();
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    ASSERT_TRUE(time_until_ready_status(server.port(), 200, 5s)) << server.output();

    postgres.stop();
    const auto down = time_until_ready_status(server.port(), 503, 5s);
    ASSERT_TRUE(down);
    EXPECT_LT(*down, 1000ms);
    const auto body = get(server.port(), "/ready");
    EXPECT_EQ(body.body, R"({"error":{"message":"Not Ready","code":"NOT_READY"}})");
    EXPECT_EQ(get(server.port(), "/health").status, 200);

    postgres.start();
    const auto up = time_until_ready_status(server.port(), 200, 10s);
    ASSERT_TRUE(up);
    EXPECT_LT(*up, 2000ms);
    EXPECT_EQ(get(server.port(), "/ready").body, R"({"status":"ready"})") << server.output();
}

TEST(Readiness, UnreachableDatabaseAtStartIsNotFatalButNotReady) {
    auto env = base_env();
    env["DATABASE_URL"] = "postgresql://nobody:pw@127.0.0.1:" + std::to_string(free_port()) + "/x";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto start = std::chrono::steady_clock::now();
    const auto r = get(server.port(), "/ready");
    EXPECT_EQ(r.status, 503);
    EXPECT_EQ(r.body, R"({"error":{"message":"Not Ready","code":"NOT_READY"}})");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
}

TEST(Readiness, ShutdownDisconnectsTheDatabase) {
    PrivatePostgres postgres;
    auto env = base_env();
    env["DATABASE_URL"] = postgres.url();
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy());
    ASSERT_EQ(get(server.port(), "/ready").status, 200);
    server.signal(SIGTERM);
    EXPECT_EQ(server.wait_exit(5s), 0) << server.output();
    EXPECT_TRUE(server.wait_for_line([](const boost::json::value& v) {
        return json_string_at(v, {"msg"}) == "Database disconnected successfully";
    }));
}

}  // namespace
}  // namespace portcullis::test
