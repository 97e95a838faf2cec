// Resolving the database host never stalls an I/O thread (issue #18 item 5). The real binary runs
// with a getaddrinfo preloaded that answers one name slowly or never (support/
// slow_getaddrinfo.cpp): while the database host does not resolve, /health keeps answering at
// once, /ready says 503 within its probe timeout and SIGTERM still ends the process; a name that
// resolves slowly still connects, multi-host DSNs included; an unresolvable name is a quick 503.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <chrono>
#include <cstdio>
#include <regex>
#include <thread>

#include "http_client.hpp"
#include "server_process.hpp"
#include "test_database.hpp"

namespace portcullis::test {
namespace {
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kSlowName = "slow-db.portcullis.test";

// The parts of the harness's postgresql://user:password@host:port/name URL.
struct UrlParts {
    std::string user, password, host, port, name;
};

UrlParts parts_of(const std::string& url) {
    std::smatch m;
    if (!std::regex_match(
            url, m, std::regex("postgres(ql)?://([^:@]+):([^@]*)@([^:/]+):([0-9]+)/([^?]+)"))) {
        throw std::runtime_error("unexpected test database URL form");
    }
    return {m[2], m[3], m[4], m[5], m[6]};
}

Env slow_dns_env(const std::string& delay) {
    Env env = base_env();
    env["LD_PRELOAD"] = PORTCULLIS_SLOW_GETADDRINFO;
    env["PORTCULLIS_SLOW_DNS_NAME"] = kSlowName;
    env["PORTCULLIS_SLOW_DNS_DELAY_MS"] = delay;
    // Under AddressSanitizer a preloaded library comes before its runtime; that is fine here.
    const char* asan = std::getenv("ASAN_OPTIONS");
    env["ASAN_OPTIONS"] = std::string(asan != nullptr ? asan : "") + ":verify_asan_link_order=0";
    return env;
}

// One GET on a fresh connection, answered within `timeout` or nullopt.
std::optional<HttpResponse> get_within(std::uint16_t port, const std::string& path,
                                       std::chrono::milliseconds timeout) {
    try {
        Connection connection("127.0.0.1", port);
        connection.send(serialize(Request{"GET", path, {}, std::nullopt}));
        return connection.read_response(false, timeout);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

// For `duration`: /health every 25 ms must answer 200 within 500 ms, /ready every 250 ms must
// answer `ready_status` within 2 s (its database probe waits 1 s at most).
void expect_responsive(const ServerProcess& server, std::chrono::milliseconds duration,
                       int ready_status) {
    const auto end = Clock::now() + duration;
    auto next_ready = Clock::now();
    int probes = 0;
    while (Clock::now() < end) {
        const auto health = get_within(server.port(), "/health", 500ms);
        ASSERT_TRUE(health && health->status == 200)
            << "/health did not answer within 500 ms after " << probes << " probes";
        ++probes;
        if (Clock::now() >= next_ready) {
            const auto ready = get_within(server.port(), "/ready", 2s);
            ASSERT_TRUE(ready) << "/ready did not answer within 2 s";
            EXPECT_EQ(ready->status, ready_status) << ready->body;
            next_ready = Clock::now() + 250ms;
        }
        std::this_thread::sleep_for(25ms);
    }
}

TEST(DatabaseDns, AResolverThatNeverAnswersStallsNoThread) {
    TestDatabase db;
    const UrlParts url = parts_of(db.url());
    Env env = slow_dns_env("never");
    env["DATABASE_URL"] = "postgresql://" + url.user + ":" + url.password + "@" + kSlowName + ":" +
                          url.port + "/" + url.name;
    ServerProcess server(env, {"serve"});
    ASSERT_TRUE(server.wait_healthy(15s)) << server.output();
    // Every dial (outbox poll, readiness probe) waits on the hung lookup until its deadline.
    expect_responsive(server, 5s, 503);

    const auto stop = Clock::now();
    server.signal(SIGTERM);
    const auto code = server.wait_exit(15s);
    ASSERT_TRUE(code) << "no exit within 15 s of SIGTERM: " << server.output();
    EXPECT_EQ(*code, 0) << server.output();
    const auto exit_time =
        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - stop);
    EXPECT_LT(exit_time, 8s) << "exit waited for the hung lookup";
    std::printf("exit %lld ms after SIGTERM while the lookup hung\n",
                static_cast<long long>(exit_time.count()));
}

TEST(DatabaseDns, ASlowlyResolvingMultiHostDsnStillConnects) {
    TestDatabase db;
    const UrlParts url = parts_of(db.url());
    Env env = slow_dns_env("300");
    // libpq's multi-host form: the first host (port 1) refuses, the second is the database. Both
    // names resolve (slowly) to 127.0.0.1, and each keeps its own port.
    env["DATABASE_URL"] = std::string("host=") + kSlowName + "," + kSlowName + " port=1," +
                          url.port + " user=" + url.user + " password=" + url.password +
                          " dbname=" + url.name;
    ServerProcess server(env, {"serve"});
    ASSERT_TRUE(server.wait_healthy(15s)) << server.output();
    const auto ready = poll_until(
        server.port(), "/ready", [](const HttpResponse& r) { return r.status == 200; }, 15s);
    ASSERT_TRUE(ready) << server.output();
    expect_responsive(server, 1s, 200);
}

TEST(DatabaseDns, AnUnresolvableHostIsAQuick503) {
    Env env = base_env();
    env["DATABASE_URL"] = "postgresql://portcullis:secret@no-such-host.invalid:5432/portcullis";
    ServerProcess server(env, {"serve"});
    ASSERT_TRUE(server.wait_healthy(15s)) << server.output();
    expect_responsive(server, 2s, 503);
    EXPECT_THAT(server.output(), ::testing::Not(::testing::HasSubstr("secret")));
}

}  // namespace
}  // namespace portcullis::test
