// Shutdown under keep-alive (issue #17, decisions B.16 and E.6): from SIGTERM on every response
// says `Connection: close`, connections idle between requests are closed while the listener still
// accepts for SHUTDOWN_DELAY_MS, and a load running across the whole drain loses no request it
// sent (once the listener has closed, new connections are refused: nothing is sent on them).
#include <gtest/gtest.h>

#include <signal.h>

#include <boost/json/value.hpp>

#include <thread>

#include "http_client.hpp"
#include "load.hpp"
#include "server_process.hpp"

namespace portcullis::test {
namespace {
using namespace std::chrono_literals;

bool wait_for_signal_line(const ServerProcess& server) {
    return server
        .wait_for_line([](const boost::json::value& v) {
            return json_string_at(v, {"msg"}) == "Received signal, beginning graceful shutdown";
        })
        .has_value();
}

TEST(Shutdown, EveryResponseAfterTheSignalSaysConnectionClose) {
    auto env = base_env();
    env["SHUTDOWN_DELAY_MS"] = "3000";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    Connection busy("127.0.0.1", server.port());
    busy.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto before = busy.read_response();
    EXPECT_EQ(before.header("connection"), "keep-alive");

    server.signal(SIGTERM);
    ASSERT_TRUE(wait_for_signal_line(server)) << server.output();
    // The connection opened before the signal: its next answer closes it.
    busy.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto after = busy.read_response();
    EXPECT_EQ(after.status, 200);
    EXPECT_EQ(after.header("connection"), "close");
    EXPECT_FALSE(after.has_header("keep-alive"));
    EXPECT_TRUE(busy.closed_by_peer(1s));
    // A connection opened during the delay is served, and closed after its answer too.
    Connection fresh("127.0.0.1", server.port());
    fresh.send("GET /ready HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto ready = fresh.read_response();
    EXPECT_EQ(ready.status, 503);
    EXPECT_EQ(ready.header("connection"), "close");
    EXPECT_TRUE(fresh.closed_by_peer(1s));
    EXPECT_EQ(server.wait_exit(10s), 0) << server.output();
}

TEST(Shutdown, AnIdleKeepAliveConnectionIsClosedBetweenRequestsWhileTheListenerStaysOpen) {
    auto env = base_env();
    env["SHUTDOWN_DELAY_MS"] = "4000";
    env["HTTP_SERVER_KEEPALIVE_TIMEOUT_MS"] = "20000";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    Connection idle("127.0.0.1", server.port());
    idle.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(idle.read_response().status, 200);

    const auto signalled = std::chrono::steady_clock::now();
    server.signal(SIGTERM);
    EXPECT_TRUE(idle.closed_by_peer(2500ms)) << "an idle keep-alive connection must not wait "
                                                "for the end of the delay";
    EXPECT_LT(std::chrono::steady_clock::now() - signalled, 3s);
    // ...and the listener is still open: the delay is for the balancer to notice /ready.
    EXPECT_EQ(get(server.port(), "/ready").status, 503);
    EXPECT_EQ(server.wait_exit(10s), 0) << server.output();
}

TEST(Shutdown, AKeepAliveLoadAcrossTheWholeDrainLosesNoRequest) {
    auto env = base_env();
    env["SHUTDOWN_DELAY_MS"] = "1500";
    env["LOG_LEVEL"] = "warn";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto duration = sanitizer_run() ? 5000ms : 4000ms;
    LoadRun load(server.port(), duration, {"--connections", "8", "--mix", "health=1"});
    std::this_thread::sleep_for(1s);
    server.signal(SIGTERM);
    const auto result = load.wait();
    EXPECT_EQ(server.wait_exit(10s), 0) << server.output();
    RecordProperty("load", result.summary());
    std::cout << "load across the drain: " << result.summary() << "\n";
    EXPECT_GT(result.ok, 1000) << result.summary();
    EXPECT_EQ(result.failed, 0) << result.summary();
    // The load outlived the listener: new connections were refused (nothing sent on them).
    EXPECT_GT(result.connect_errors, 0) << result.summary();
}

}  // namespace
}  // namespace portcullis::test
