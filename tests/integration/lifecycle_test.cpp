// Start-up validation (decisions B.1, B.3), graceful shutdown (B.16, contract 11) and the server
// timeouts of contract 11.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <thread>

#include "http_client.hpp"
#include "server_process.hpp"

namespace portcullis::test {
namespace {
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

// Sends a POST whose body is `first_bytes` of `length`, and returns once the server has read the
// headers (it answers `Expect: 100-continue` after them): from then on the request is in flight.
void start_request_with_partial_body(Connection& c, std::size_t length,
                                     const std::string& first_bytes) {
    c.send(
        "POST /no-such-route HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Expect: 100-continue\r\nContent-Length: " +
        std::to_string(length) + "\r\n\r\n");
    ASSERT_EQ(c.read_response().status, 100);
    c.send(first_bytes);
}

// Waits until connecting to `port` is refused (the listener closed); false after `limit`.
bool wait_refused(std::uint16_t port, std::chrono::milliseconds limit = 10s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        try {
            Connection probe("127.0.0.1", port);
        } catch (const std::exception&) {
            return true;
        }
        std::this_thread::sleep_for(10ms);
    }
    return false;
}

bool wait_for_msg(const ServerProcess& server, const std::string& msg) {
    return server
        .wait_for_line(
            [&](const boost::json::value& v) { return json_string_at(v, {"msg"}) == msg; })
        .has_value();
}

TEST(Configuration, EveryProblemIsListedInOneFatalLineAndExitCodeIs1) {
    auto env = base_env();
    env["JWT_ACCESS_SECRET"] = "short-secret-value";
    env["JWT_REFRESH_SECRET"] = "tiny";
    env["LOG_LEVEL"] = "loud";
    env["RATE_LIMIT_REDIS_URL"] = "not a url :pass-in-url@";
    env.erase("DATABASE_URL");
    const auto result = run_binary(env, {"serve"});
    EXPECT_EQ(result.exit_code, 1) << result.output;

    std::vector<boost::json::value> fatal_lines;
    std::istringstream in(result.output);
    for (std::string line; std::getline(in, line);) {
        boost::system::error_code ec;
        auto v = boost::json::parse(line, ec);
        ASSERT_FALSE(ec) << "every output line is JSON: " << line;
        if (json_string_at(v, {"msg"}) == "Invalid configuration") fatal_lines.push_back(v);
    }
    ASSERT_EQ(fatal_lines.size(), 1u) << result.output;
    const auto& line = fatal_lines.front().as_object();
    EXPECT_EQ(line.at("level").as_string(), "fatal");
    const auto& errors = line.at("errors").as_object();
    for (const char* key : {"JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET", "LOG_LEVEL",
                            "RATE_LIMIT_REDIS_URL", "DATABASE_URL"}) {
        EXPECT_TRUE(errors.contains(key)) << key << " in " << result.output;
    }
    EXPECT_THAT(result.output, Not(HasSubstr("short-secret-value")));
    EXPECT_THAT(result.output, Not(HasSubstr("tiny\"")));
    EXPECT_THAT(result.output, Not(HasSubstr("pass-in-url")));
}

TEST(Configuration, BindFailureIsAFatalStartupError) {
    // Hold the port with a plain (non-SO_REUSEPORT) listener so the server's bind must fail.
    const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_any;
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(fd, 1), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    auto env = base_env();
    env["PORT"] = std::to_string(ntohs(addr.sin6_port));
    const auto result = run_binary(env, {"serve"});
    ::close(fd);
    EXPECT_EQ(result.exit_code, 1) << result.output;
    EXPECT_THAT(result.output, HasSubstr("Unhandled error during startup"));
}

TEST(Configuration, DotEnvIsReadAndTheEnvironmentWins) {
    auto env = base_env();
    env.erase("JWT_REFRESH_SECRET");
    env["RESPONSE_COMPRESSION_MIN_BYTES"] = "1024";
    ServerProcess server(env, {"serve"},
                         "JWT_REFRESH_SECRET=dotenv-refresh-secret-0123456789abcdef\n"
                         "RESPONSE_COMPRESSION_MIN_BYTES=10\n");
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    // The environment's 1024 wins over the file's 10: /version stays uncompressed.
    EXPECT_FALSE(get(server.port(), "/version", {{"Accept-Encoding", "gzip"}})
                     .has_header("content-encoding"));
}

TEST(Lifecycle, ListeningLineCarriesThePort) {
    ServerProcess server(base_env());
    ASSERT_TRUE(server.wait_healthy());
    const auto line = server.wait_for_line([](const boost::json::value& v) {
        return json_string_at(v, {"msg"}) == "API server listening";
    });
    ASSERT_TRUE(line);
    EXPECT_EQ(line->as_object().at("port").as_int64(), server.port());
    EXPECT_EQ(line->as_object().at("level").as_string(), "info");
    EXPECT_TRUE(line->as_object().contains("pid"));
    EXPECT_TRUE(line->as_object().contains("hostname"));
}

TEST(Lifecycle, SigtermDrainsAnInFlightRequestThenExitsZero) {
    ServerProcess server(base_env());
    ASSERT_TRUE(server.wait_healthy());
    Connection slow("127.0.0.1", server.port());
    ASSERT_NO_FATAL_FAILURE(start_request_with_partial_body(slow, 7, "{\"a\""));
    server.signal(SIGTERM);
    // Witness that shutdown has moved past the listener: new connections are refused from then on.
    ASSERT_TRUE(wait_refused(server.port())) << server.output();
    EXPECT_FALSE(server.wait_exit(0ms)) << "must wait for the in-flight request";
    slow.send(":1}");
    const auto r = slow.read_response();
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.header("connection"), "close");
    EXPECT_EQ(server.wait_exit(5s), 0) << server.output();
    EXPECT_TRUE(server.wait_for_line([](const boost::json::value& v) {
        return json_string_at(v, {"msg"}) == "Received signal, beginning graceful shutdown" &&
               json_string_at(v, {"signal"}) == "SIGTERM";
    }));
    EXPECT_TRUE(server.wait_for_line([](const boost::json::value& v) {
        return json_string_at(v, {"msg"}) == "HTTP server closed";
    }));
}

TEST(Lifecycle, IdleKeepAliveConnectionsDoNotHoldShutdown) {
    ServerProcess server(base_env());
    ASSERT_TRUE(server.wait_healthy());
    Connection idle("127.0.0.1", server.port());
    idle.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(idle.read_response().status, 200);
    const auto start = std::chrono::steady_clock::now();
    server.signal(SIGINT);
    EXPECT_EQ(server.wait_exit(3s), 0);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    EXPECT_TRUE(idle.closed_by_peer());
}

TEST(Lifecycle, ReadyTurns503AtOnceAndTheListenerStaysOpenDuringTheDelay) {
    auto env = base_env();
    env["SHUTDOWN_DELAY_MS"] = "1500";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy());
    const auto signalled = std::chrono::steady_clock::now();
    server.signal(SIGTERM);
    ASSERT_TRUE(wait_for_msg(server, "Received signal, beginning graceful shutdown"));
    const auto ready = get(server.port(), "/ready");  // a new connection: still accepted
    EXPECT_EQ(ready.status, 503);
    EXPECT_EQ(ready.body, R"({"error":{"message":"Shutting down","code":"SHUTTING_DOWN"}})");
    EXPECT_EQ(get(server.port(), "/health").status, 200);
    // The delay is the wall-clock behavior under test: the listener closes when it has passed.
    ASSERT_TRUE(wait_refused(server.port())) << server.output();
    EXPECT_GE(std::chrono::steady_clock::now() - signalled, 1500ms);
    EXPECT_EQ(server.wait_exit(5s), 0);
}

TEST(Lifecycle, SecondSignalIsLoggedOnce) {
    auto env = base_env();
    env["SHUTDOWN_DELAY_MS"] = "800";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy());
    server.signal(SIGTERM);
    ASSERT_TRUE(wait_for_msg(server, "Received signal, beginning graceful shutdown"));
    server.signal(SIGINT);
    EXPECT_EQ(server.wait_exit(5s), 0) << server.output();
    // The process has ended, so its log is complete: exactly one line for each signal.
    const auto lines = server.json_lines();
    const auto count = [&](const std::string& msg) {
        return std::count_if(lines.begin(), lines.end(), [&](const boost::json::value& v) {
            return json_string_at(v, {"msg"}) == msg;
        });
    };
    EXPECT_EQ(count("Received signal, beginning graceful shutdown"), 1) << server.output();
    EXPECT_EQ(count("Shutdown already in progress"), 1) << server.output();
    EXPECT_TRUE(std::any_of(lines.begin(), lines.end(), [](const boost::json::value& v) {
        return json_string_at(v, {"msg"}) == "Shutdown already in progress" &&
               json_string_at(v, {"source"}) == "SIGINT";
    }));
    EXPECT_EQ(count("HTTP server closed"), 1) << server.output();
}

TEST(Lifecycle, GraceTimeoutForcesExitOne) {
    auto env = base_env();
    env["SHUTDOWN_TIMEOUT_MS"] = "500";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy());
    Connection stuck("127.0.0.1", server.port());
    ASSERT_NO_FATAL_FAILURE(start_request_with_partial_body(stuck, 100, "{"));
    server.signal(SIGTERM);
    EXPECT_EQ(server.wait_exit(5s), 1);
    EXPECT_TRUE(server.wait_for_line([](const boost::json::value& v) {
        return json_string_at(v, {"msg"}) == "Graceful shutdown timeout exceeded, forcing exit";
    }));
}

TEST(Timeouts, IncompleteRequestGets408) {
    auto env = base_env();
    env["HTTP_SERVER_REQUEST_TIMEOUT_MS"] = "600";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy());
    Connection c("127.0.0.1", server.port());
    c.send("GET /health HTTP/1.1\r\nHost: x\r\n");
    const auto r = c.read_response(false, 5s);
    EXPECT_EQ(r.status, 408);
    EXPECT_TRUE(c.closed_by_peer());
}

TEST(Timeouts, IdleKeepAliveConnectionIsClosedAfterTheKeepAliveTimeout) {
    auto env = base_env();
    env["HTTP_SERVER_KEEPALIVE_TIMEOUT_MS"] = "2000";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy());
    Connection c("127.0.0.1", server.port());
    c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto r = c.read_response();
    EXPECT_EQ(r.header("keep-alive"), "timeout=2");
    const auto start = std::chrono::steady_clock::now();
    EXPECT_TRUE(c.closed_by_peer(6s));
    EXPECT_GE(std::chrono::steady_clock::now() - start, 1500ms);
}

}  // namespace
}  // namespace portcullis::test
