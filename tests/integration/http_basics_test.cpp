// HTTP surface of the foundation: ops endpoints, routing rules, envelopes, request ids, security
// headers, ETags, HEAD, keep-alive and pipelining (contract sections 1, 3, 4.3, 14).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <regex>

#include "http_client.hpp"
#include "server_process.hpp"

namespace portcullis::test {
namespace {
using ::testing::HasSubstr;

class HttpBasics : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        server_ = new ServerProcess(base_env());
        ASSERT_TRUE(server_->wait_healthy()) << server_->output();
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    static std::uint16_t port() { return server_->port(); }
    static ServerProcess* server_;
};
ServerProcess* HttpBasics::server_ = nullptr;

const std::regex kUuidV4("^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");

TEST_F(HttpBasics, HealthAnswersOkWithEtagAndRequestId) {
    const auto r = get(port(), "/health");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"status":"ok"})");
    EXPECT_EQ(r.header("content-type"), "application/json; charset=utf-8");
    EXPECT_EQ(r.header("etag"), "W/\"f-VaSQ4oDUiZblZNAEkkN+sX+q3Sg\"");
    EXPECT_EQ(r.header("content-length"), "15");
    ASSERT_TRUE(r.header("x-request-id"));
    EXPECT_TRUE(std::regex_match(*r.header("x-request-id"), kUuidV4));
    EXPECT_FALSE(r.has_header("x-powered-by"));
    EXPECT_FALSE(r.has_header("cache-control"));
}

TEST_F(HttpBasics, MatchingIfNoneMatchGives304WithoutBody) {
    const auto r =
        get(port(), "/health", {{"If-None-Match", "W/\"f-VaSQ4oDUiZblZNAEkkN+sX+q3Sg\""}});
    EXPECT_EQ(r.status, 304);
    EXPECT_TRUE(r.body.empty());
    EXPECT_FALSE(r.has_header("content-type"));
    const auto other = get(port(), "/health", {{"If-None-Match", "W/\"f-other\""}});
    EXPECT_EQ(other.status, 200);
}

TEST_F(HttpBasics, RequestIdIsHonouredAndEchoed) {
    const auto r = get(port(), "/health", {{"X-Request-Id", "trace-abc-123"}});
    EXPECT_EQ(r.header("x-request-id"), "trace-abc-123");
    const auto again = get(port(), "/nope", {{"X-Request-Id", "trace-404"}});
    EXPECT_EQ(again.header("x-request-id"), "trace-404");
    const auto empty = get(port(), "/health", {{"X-Request-Id", ""}});
    EXPECT_TRUE(std::regex_match(*empty.header("x-request-id"), kUuidV4));
    EXPECT_NE(get(port(), "/health").header("x-request-id"),
              get(port(), "/health").header("x-request-id"));
}

TEST_F(HttpBasics, VersionCarriesBuildMetadataAndCacheControl) {
    const auto r = get(port(), "/version");
    ASSERT_EQ(r.status, 200);
    const auto body = boost::json::parse(r.body).as_object();
    EXPECT_EQ(body.size(), 3u);
    EXPECT_EQ(body.at("version").as_string(), "1.0.0");
    const std::string sha(body.at("gitSha").as_string());
    EXPECT_TRUE(sha == "unknown" || std::regex_match(sha, std::regex("^[0-9a-f]{7,12}$"))) << sha;
    EXPECT_TRUE(std::regex_match(std::string(body.at("buildTime").as_string()),
                                 std::regex(R"(^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$)")));
    EXPECT_EQ(r.header("cache-control"), "public, max-age=300, stale-while-revalidate=60");
    // The key order of the contract.
    EXPECT_EQ(r.body.find("\"version\""), 1u);
}

TEST_F(HttpBasics, ReadyIsOkWhileRunning) {
    const auto r = get(port(), "/ready");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, R"({"status":"ready"})");
}

TEST_F(HttpBasics, UnknownPathsAndMethodsAreTheJson404) {
    for (const auto& [method, path] :
         std::vector<std::pair<std::string, std::string>>{{"GET", "/nope"},
                                                          {"POST", "/health"},
                                                          {"DELETE", "/version"},
                                                          {"GET", "/auth/unknown"},
                                                          {"PUT", "/"}}) {
        const auto r = fetch(port(), Request{method, path, {}, std::nullopt});
        EXPECT_EQ(r.status, 404) << method << " " << path;
        EXPECT_EQ(r.body, R"({"error":{"message":"Not Found","code":"NOT_FOUND"}})");
        EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
        EXPECT_TRUE(r.has_header("x-request-id"));
    }
}

TEST_F(HttpBasics, PathsAreCaseInsensitiveWithOneOptionalTrailingSlash) {
    EXPECT_EQ(get(port(), "/HEALTH").status, 200);
    EXPECT_EQ(get(port(), "/Health/").status, 200);
    EXPECT_EQ(get(port(), "/health?x=1&y").status, 200);
    EXPECT_EQ(get(port(), "//health").status, 404);
    EXPECT_EQ(get(port(), "/health%20").status, 404);
    EXPECT_EQ(get(port(), "/health//").status, 404);
    EXPECT_EQ(get(port(), "/health/x").status, 404);
}

TEST_F(HttpBasics, HeadBehavesLikeGetWithoutBody) {
    const auto get_response = get(port(), "/version");
    const auto head = fetch(port(), Request{"HEAD", "/version", {}, std::nullopt});
    EXPECT_EQ(head.status, 200);
    EXPECT_TRUE(head.body.empty());
    EXPECT_EQ(head.header("content-length"), get_response.header("content-length"));
    EXPECT_EQ(head.header("etag"), get_response.header("etag"));
    EXPECT_EQ(head.header("content-type"), get_response.header("content-type"));
}

TEST_F(HttpBasics, SecurityHeadersAreExactlyHelmetsDefaults) {
    const auto r = get(port(), "/health");
    EXPECT_EQ(r.header("content-security-policy"),
              "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action "
              "'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src "
              "'self';script-src-attr 'none';style-src 'self' https: "
              "'unsafe-inline';upgrade-insecure-requests");
    EXPECT_EQ(r.header("cross-origin-opener-policy"), "same-origin");
    EXPECT_EQ(r.header("cross-origin-resource-policy"), "same-origin");
    EXPECT_EQ(r.header("origin-agent-cluster"), "?1");
    EXPECT_EQ(r.header("referrer-policy"), "no-referrer");
    EXPECT_EQ(r.header("strict-transport-security"), "max-age=31536000; includeSubDomains");
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
    EXPECT_EQ(r.header("x-dns-prefetch-control"), "off");
    EXPECT_EQ(r.header("x-download-options"), "noopen");
    EXPECT_EQ(r.header("x-frame-options"), "SAMEORIGIN");
    EXPECT_EQ(r.header("x-permitted-cross-domain-policies"), "none");
    EXPECT_EQ(r.header("x-xss-protection"), "0");
    EXPECT_FALSE(r.has_header("cross-origin-embedder-policy"));
    EXPECT_FALSE(r.has_header("x-powered-by"));
}

TEST_F(HttpBasics, KeepAliveIsAdvertisedAndPipelinedRequestsAnswerInOrder) {
    Connection c("127.0.0.1", port());
    c.send(
        "GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /version HTTP/1.1\r\nHost: x\r\n\r\n"
        "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto a = c.read_response();
    const auto b = c.read_response();
    const auto d = c.read_response();
    EXPECT_EQ(a.status, 200);
    EXPECT_EQ(a.body, R"({"status":"ok"})");
    EXPECT_EQ(a.header("connection"), "keep-alive");
    EXPECT_EQ(a.header("keep-alive"), "timeout=5");
    EXPECT_THAT(b.body, HasSubstr("gitSha"));
    EXPECT_EQ(d.status, 404);
    // The connection stays usable.
    c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(c.read_response().status, 200);
}

TEST_F(HttpBasics, ConnectionCloseIsHonoured) {
    Connection c("127.0.0.1", port());
    c.send("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    const auto r = c.read_response();
    EXPECT_EQ(r.header("connection"), "close");
    EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(HttpBasics, Http10WithoutKeepAliveCloses) {
    Connection c("127.0.0.1", port());
    c.send("GET /health HTTP/1.0\r\n\r\n");
    EXPECT_EQ(c.read_response().status, 200);
    EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(HttpBasics, OversizedHeadersGet431) {
    Connection c("127.0.0.1", port());
    c.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
    const auto r = c.read_response();
    EXPECT_EQ(r.status, 431);
    EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(HttpBasics, MalformedRequestLineGets400AndClose) {
    Connection c("127.0.0.1", port());
    c.send("THIS IS NOT HTTP\r\n\r\n");
    const auto r = c.read_response();
    EXPECT_EQ(r.status, 400);
    EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(HttpBasics, Ipv6LoopbackClientsAreServed) {
    Connection c("::1", port());
    c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(c.read_response().status, 200);
}

}  // namespace
}  // namespace portcullis::test
