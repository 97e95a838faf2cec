// Request log lines (contract 10.2, 10.3) and the client IP derived through TRUST_PROXY (2.4),
// observed in the log's `req.clientIp`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <boost/json/serialize.hpp>

#include "http_client.hpp"
#include "server_process.hpp"
#include "test_database.hpp"

namespace portcullis::test {
namespace {
using ::testing::HasSubstr;
using ::testing::Not;

std::optional<boost::json::value> log_for(const ServerProcess& server, const std::string& id) {
    return server.wait_for_line([&](const boost::json::value& v) {
        return json_string_at(v, {"req", "id"}) == id &&
               json_string_at(v, {"msg"}) == "request completed";
    });
}

std::string client_ip_for(const ServerProcess& server, const std::string& id,
                          std::vector<std::pair<std::string, std::string>> headers) {
    headers.emplace_back("X-Request-Id", id);
    get(server.port(), "/health", headers);
    const auto line = log_for(server, id);
    return line ? json_string_at(*line, {"req", "clientIp"}) : "<no log line>";
}

// Contract 10.2: a client that disconnects before its response is logged as `request aborted`
// with a null status code.
TEST(RequestLog, ClientThatLeavesBeforeTheResponseIsLoggedAsAborted) {
    TestDatabase db;
    auto env = base_env();
    env["DATABASE_URL"] = db.url();  // default Argon2 parameters: a login hashes for ~100 ms
    ServerProcess server(env, {"serve", "--migrate"});
    ASSERT_TRUE(server.wait_healthy(std::chrono::seconds(30))) << server.output();
    const std::string body = R"({"email":"nobody@example.com","password":"Whatever-123!"})";
    {
        Connection connection("127.0.0.1", server.port());
        connection.send(serialize(
            {.method = "POST",
             .path = "/auth/login",
             .headers = {{"Content-Type", "application/json"}, {"X-Request-Id", "gone-early"}},
             .body = body}));
        connection.close();
    }
    const auto line = server.wait_for_line([](const boost::json::value& v) {
        return json_string_at(v, {"req", "id"}) == "gone-early";
    });
    ASSERT_TRUE(line) << server.output();
    EXPECT_EQ(json_string_at(*line, {"msg"}), "request aborted");
    EXPECT_TRUE(line->at("res").at("statusCode").is_null());
    EXPECT_EQ(line->at("level").as_int64(), 30);

    // The same request from a client that waits is completed as usual.
    const auto answered =
        post_json(server.port(), "/auth/login", body, {{"X-Request-Id", "stayed"}});
    EXPECT_EQ(answered.status, 401);
    const auto completed = log_for(server, "stayed");
    ASSERT_TRUE(completed) << server.output();
    EXPECT_EQ(completed->at("res").at("statusCode").as_int64(), 401);
}

TEST(RequestLog, LineHasPinoHttpShapeAndRedactions) {
    ServerProcess server(base_env());
    ASSERT_TRUE(server.wait_healthy());
    get(server.port(), "/health?x=1&x=2&y=z",
        {{"X-Request-Id", "log-shape"},
         {"Authorization", "Bearer secret-token-value"},
         {"Cookie", "sid=cookie-secret"},
         {"X-Metrics-Secret", "metrics-secret-value"}});
    const auto line = log_for(server, "log-shape");
    ASSERT_TRUE(line) << server.output();
    const auto& o = line->as_object();
    EXPECT_EQ(o.at("level").as_int64(), 30);
    EXPECT_TRUE(o.at("time").is_int64());
    EXPECT_TRUE(o.contains("pid"));
    EXPECT_TRUE(o.contains("hostname"));
    const auto& req = o.at("req").as_object();
    EXPECT_EQ(req.at("method").as_string(), "GET");
    EXPECT_EQ(req.at("url").as_string(), "/health?x=1&x=2&y=z");
    EXPECT_EQ(boost::json::serialize(req.at("query")), R"({"x":["1","2"],"y":"z"})");
    EXPECT_EQ(req.at("remoteAddress").as_string(), "::ffff:127.0.0.1");
    EXPECT_TRUE(req.at("remotePort").is_int64());
    const auto& headers = req.at("headers").as_object();
    EXPECT_EQ(headers.at("authorization").as_string(), "[REDACTED]");
    EXPECT_EQ(headers.at("cookie").as_string(), "[REDACTED]");
    EXPECT_EQ(headers.at("x-metrics-secret").as_string(), "[REDACTED]");
    EXPECT_EQ(headers.at("host").as_string(), "localhost");
    EXPECT_EQ(o.at("res").as_object().at("statusCode").as_int64(), 200);
    EXPECT_EQ(o.at("res").as_object().at("headers").as_object().at("x-request-id").as_string(),
              "log-shape");
    EXPECT_TRUE(o.at("responseTime").is_number());
    EXPECT_FALSE(o.contains("userId"));
    const auto out = server.output();
    EXPECT_THAT(out, Not(HasSubstr("secret-token-value")));
    EXPECT_THAT(out, Not(HasSubstr("cookie-secret")));
    EXPECT_THAT(out, Not(HasSubstr("metrics-secret-value")));
}

TEST(RequestLog, LogLevelSilentWritesNothing) {
    auto env = base_env();
    env["LOG_LEVEL"] = "silent";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy());
    get(server.port(), "/health");
    server.signal(SIGTERM);
    EXPECT_EQ(server.wait_exit(), 0);
    EXPECT_EQ(server.output(), "");
}

TEST(TrustProxy, DefaultLoopbackFollowsTheContractExamples) {
    ServerProcess server(base_env());
    ASSERT_TRUE(server.wait_healthy());
    EXPECT_EQ(client_ip_for(server, "tp-1", {}), "::ffff:127.0.0.1");
    EXPECT_EQ(client_ip_for(server, "tp-2", {{"X-Forwarded-For", "203.0.113.9"}}), "203.0.113.9");
    EXPECT_EQ(client_ip_for(server, "tp-3", {{"X-Forwarded-For", "198.51.100.1, 127.0.0.1"}}),
              "198.51.100.1");
    EXPECT_EQ(client_ip_for(server, "tp-4", {{"X-Forwarded-For", "198.51.100.7, 10.0.0.1"}}),
              "10.0.0.1");
}

TEST(TrustProxy, NothingTrustedUsesTheSocketAddress) {
    auto env = base_env();
    env["TRUST_PROXY"] = "false";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy());
    EXPECT_EQ(client_ip_for(server, "tp-f", {{"X-Forwarded-For", "203.0.113.9"}}),
              "::ffff:127.0.0.1");
}

TEST(TrustProxy, HopCountTrustsThatManyPositions) {
    auto env = base_env();
    env["TRUST_PROXY"] = "1";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy());
    EXPECT_EQ(client_ip_for(server, "tp-h1", {{"X-Forwarded-For", "198.51.100.1, 203.0.113.5"}}),
              "203.0.113.5");
    EXPECT_EQ(client_ip_for(server, "tp-h2", {}), "::ffff:127.0.0.1");
}

TEST(TrustProxy, CidrListWalksTheChain) {
    auto env = base_env();
    env["TRUST_PROXY"] = "loopback, 10.0.0.0/8";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy());
    EXPECT_EQ(client_ip_for(server, "tp-c1", {{"X-Forwarded-For", "198.51.100.7, 10.0.0.1"}}),
              "198.51.100.7");
    EXPECT_EQ(client_ip_for(server, "tp-c2", {{"X-Forwarded-For", "not-an-ip, 10.1.2.3"}}),
              "not-an-ip");
}

TEST(TrustProxy, InvalidEntryStopsStartup) {
    auto env = base_env();
    env["TRUST_PROXY"] = "loopback, 300.1.1.1";
    const auto result = run_binary(env, {"serve"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_THAT(result.output, HasSubstr("invalid IP address: 300.1.1.1"));
}

}  // namespace
}  // namespace portcullis::test
