// Faults that used to hold requests (issue #17, decisions E.6): a frozen Redis must not delay the
// probes (they never wait on Redis), and a frozen Postgres must not hold every request for the
// whole statement timeout once the pool knows it is unresponsive (503 DATABASE_UNAVAILABLE at
// once, one probe query let through, service back as soon as a probe succeeds).
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "http_client.hpp"
#include "private_postgres.hpp"
#include "private_redis.hpp"
#include "server_process.hpp"

namespace portcullis::test {
namespace {
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

std::chrono::milliseconds timed_get(std::uint16_t port, const std::string& path, int& status,
                                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    const auto start = Clock::now();
    status = get(port, path, std::move(headers)).status;
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

TEST(Faults, ProbesNeverWaitOnAFrozenRedis) {
    PrivateRedis redis;
    auto env = base_env();
    env["RATE_LIMIT_REDIS_URL"] = redis.url();
    env["RATE_LIMIT_REDIS_TIMEOUT_MS"] = "500";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    ASSERT_TRUE(poll_until(
        server.port(), "/ready", [](const HttpResponse& r) { return r.status == 200; }, 10s))
        << server.output();

    redis.pause();
    std::chrono::milliseconds slowest_health{0};
    std::chrono::milliseconds slowest_ready{0};
    const auto until = Clock::now() + 2500ms;
    int health_status = 0;
    int ready_status = 0;
    while (Clock::now() < until) {
        slowest_health =
            std::max(slowest_health, timed_get(server.port(), "/health", health_status));
        EXPECT_EQ(health_status, 200);
        slowest_ready = std::max(slowest_ready, timed_get(server.port(), "/ready", ready_status));
        std::this_thread::sleep_for(20ms);
    }
    redis.resume();
    std::cout << "frozen Redis: slowest /health " << slowest_health.count()
              << " ms, slowest /ready " << slowest_ready.count() << " ms\n";
    // The Redis call timeout is 500 ms: a probe behind the global limiter's EVALSHA waits that
    // (measured before the fix: 503 ms and 500 ms). The margin is for a busy 2-core machine.
    EXPECT_LT(slowest_health, 300ms);
    EXPECT_LT(slowest_ready, 300ms);
}

// Registers a user on `port`; returns {access token, user id} via the protected read path.
std::pair<std::string, std::string> register_user(std::uint16_t port) {
    const auto r =
        post_json(port, "/auth/register",
                  R"({"email":"frozen@example.com","password":"Ice-cold-passphrase-1234"})");
    if (r.status != 201) throw std::runtime_error("register failed: " + r.body);
    const auto at = r.body.find("\"accessToken\":\"") + 15;
    const std::string access = r.body.substr(at, r.body.find('"', at) - at);
    const auto me = get(port, "/auth/sessions", {{"Authorization", "Bearer " + access}});
    if (me.status != 200) throw std::runtime_error("sessions failed: " + me.body);
    return {access, ""};
}

TEST(Faults, AFrozenPostgresFailsRequestsFastOnceTheBreakerOpensAndHealsByItself) {
    PrivatePostgres pg;
    auto env = base_env();
    env["DATABASE_URL"] = pg.url();
    env["DATABASE_STATEMENT_TIMEOUT_MS"] = "3000";
    env["AUTH_ARGON2_MEMORY_KIB"] = "8192";
    env["AUTH_ARGON2_ITERATIONS"] = "1";
    ServerProcess server(env, {"serve", "--migrate"});
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto [access, unused] = register_user(server.port());
    const std::vector<std::pair<std::string, std::string>> auth{
        {"Authorization", "Bearer " + access}};

    pg.pause();
    const auto frozen = Clock::now();
    const auto red = poll_until(
        server.port(), "/ready", [](const HttpResponse& r) { return r.status == 503; }, 5s);
    ASSERT_TRUE(red) << server.output();
    std::cout << "frozen Postgres: /ready red after " << red->count() << " ms\n";
    // From now on the pool knows: requests answer 503 at once instead of after 3 s. One of them
    // may be the probe query the breaker lets through, which waits for its deadline.
    int slow = 0;
    int answered = 0;
    std::chrono::milliseconds fastest{10000};
    for (int i = 0; i < 10; ++i) {
        int status = 0;
        const auto took = timed_get(server.port(), "/auth/sessions", status, auth);
        EXPECT_EQ(status, 503);
        ++answered;
        if (took > 300ms) ++slow;
        fastest = std::min(fastest, took);
    }
    std::cout
        << "frozen Postgres: " << slow << " of " << answered
        << " requests slower than 300 ms, fastest " << fastest.count() << " ms, "
        << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - frozen).count()
        << " ms after the freeze\n";
    EXPECT_LE(slow, 1);
    const auto body = get(server.port(), "/auth/sessions", auth).body;
    EXPECT_NE(body.find("DATABASE_UNAVAILABLE"), std::string::npos) << body;

    pg.resume();
    const auto thawed = Clock::now();
    const auto healed = poll_until(
        server.port(), "/ready", [](const HttpResponse& r) { return r.status == 200; }, 10s);
    ASSERT_TRUE(healed) << server.output();
    int status = 0;
    for (int i = 0; i < 50 && status != 200; ++i) {
        timed_get(server.port(), "/auth/sessions", status, auth);
        if (status != 200) std::this_thread::sleep_for(50ms);
    }
    EXPECT_EQ(status, 200);
    const auto recovered =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - thawed);
    std::cout << "frozen Postgres: serving again " << recovered.count() << " ms after SIGCONT\n";
    EXPECT_LT(recovered, 4s);
}

}  // namespace
}  // namespace portcullis::test
