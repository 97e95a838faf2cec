// JSON body parsing through the normal pipeline (contract 3.2, 3.4; decisions B.4): invalid JSON,
// size limit before and after inflation, charsets, content codings.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_client.hpp"
#include "server_process.hpp"

namespace portcullis::test {
namespace {

class BodyParsing : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        auto env = base_env();
        env["REQUEST_BODY_LIMIT"] = "1kb";
        server_ = new ServerProcess(env);
        ASSERT_TRUE(server_->wait_healthy()) << server_->output();
    }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    static std::uint16_t port() { return server_->port(); }
    static ServerProcess* server_;

    static HttpResponse post(const std::string& body, const std::string& content_type,
                             std::vector<std::pair<std::string, std::string>> extra = {}) {
        extra.emplace_back("Content-Type", content_type);
        return fetch(port(), Request{"POST", "/no-such-route", std::move(extra), body});
    }
};
ServerProcess* BodyParsing::server_ = nullptr;

void expect_pipeline_headers(const HttpResponse& r) {
    EXPECT_TRUE(r.has_header("x-request-id"));
    EXPECT_EQ(r.header("x-frame-options"), "SAMEORIGIN");
    EXPECT_EQ(r.header("access-control-allow-credentials"), "true");
    EXPECT_FALSE(r.has_header("x-powered-by"));
}

TEST_F(BodyParsing, InvalidJsonIs400WithItsCodeThroughThePipeline) {
    for (const std::string body :
         {"{bad", "\"just a string\"", "42", "true", "   ", "{\"a\":1,}"}) {
        const auto r = post(body, "application/json");
        EXPECT_EQ(r.status, 400) << body;
        EXPECT_EQ(r.body, R"({"error":{"message":"Invalid JSON","code":"INVALID_JSON"}})") << body;
        expect_pipeline_headers(r);
    }
}

TEST_F(BodyParsing, ObjectsArraysAndEmptyBodiesPassToTheRoute) {
    // A parsed body reaches the router; this path has no route, so 404.
    EXPECT_EQ(post("{\"a\":1}", "application/json").status, 404);
    EXPECT_EQ(post("[1,2]", "application/json; charset=UTF-8").status, 404);
    EXPECT_EQ(post("", "application/json").status, 404);
    // Other content types are not parsed at all.
    EXPECT_EQ(post("{bad", "text/plain").status, 404);
    EXPECT_EQ(post("{bad", "application/vnd.api+json").status, 404);
}

TEST_F(BodyParsing, BodiesOverTheLimitAre413AndExactlyTheLimitPasses) {
    const std::string exact = "{\"a\":\"" + std::string(1024 - 8, 'x') + "\"}";
    ASSERT_EQ(exact.size(), 1024u);
    EXPECT_EQ(post(exact, "application/json").status, 404);

    const std::string over = "{\"a\":\"" + std::string(1024 - 7, 'x') + "\"}";
    const auto r = post(over, "application/json");
    EXPECT_EQ(r.status, 413);
    EXPECT_EQ(r.body,
              R"({"error":{"message":"request entity too large","code":"PAYLOAD_TOO_LARGE"}})");
    expect_pipeline_headers(r);
}

TEST_F(BodyParsing, ChunkedBodyOverTheLimitIs413) {
    Connection c("127.0.0.1", port());
    std::string body = "{\"a\":\"" + std::string(5000, 'x') + "\"}";
    char size_hex[16];
    std::snprintf(size_hex, sizeof size_hex, "%zx", body.size());
    c.send(
        "POST /no-such-route HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n" +
        std::string(size_hex) + "\r\n" + body + "\r\n0\r\n\r\n");
    EXPECT_EQ(c.read_response().status, 413);
}

TEST_F(BodyParsing, LimitAppliesAfterInflation) {
    const std::string inflated = "{\"a\":\"" + std::string(5000, 'x') + "\"}";
    const std::string compressed = gzip(inflated);
    ASSERT_LT(compressed.size(), 1024u);
    const auto r = post(compressed, "application/json", {{"Content-Encoding", "gzip"}});
    EXPECT_EQ(r.status, 413);

    const auto small = post(gzip("{\"a\":1}"), "application/json", {{"Content-Encoding", "gzip"}});
    EXPECT_EQ(small.status, 404);
    const auto bad = post(gzip("{bad"), "application/json", {{"Content-Encoding", "gzip"}});
    EXPECT_EQ(bad.status, 400);
}

TEST_F(BodyParsing, DeflateBodiesAreTheZlibFormat) {
    const auto small =
        post(zlib_deflate("{\"a\":1}"), "application/json", {{"Content-Encoding", "deflate"}});
    EXPECT_EQ(small.status, 404) << small.body;
    const auto bad =
        post(zlib_deflate("{bad"), "application/json", {{"Content-Encoding", "deflate"}});
    EXPECT_EQ(bad.status, 400) << bad.body;
    const std::string inflated = "{\"a\":\"" + std::string(5000, 'x') + "\"}";
    const auto large =
        post(zlib_deflate(inflated), "application/json", {{"Content-Encoding", "deflate"}});
    EXPECT_EQ(large.status, 413) << large.body;
}

TEST_F(BodyParsing, NonUtfCharsetIs415) {
    const auto r = post("{}", "application/json; charset=latin1");
    EXPECT_EQ(r.status, 415);
    EXPECT_EQ(
        r.body,
        R"({"error":{"message":"unsupported charset \"LATIN1\"","code":"UNSUPPORTED_MEDIA_TYPE"}})");
    expect_pipeline_headers(r);
    EXPECT_EQ(post("{}", "application/json; charset=utf-16le").status, 404);
}

TEST_F(BodyParsing, UnsupportedContentEncodingIs415) {
    const auto r = post("{}", "application/json", {{"Content-Encoding", "compress"}});
    EXPECT_EQ(r.status, 415);
    EXPECT_EQ(
        r.body,
        R"({"error":{"message":"unsupported content encoding \"compress\"","code":"UNSUPPORTED_MEDIA_TYPE"}})");
}

TEST_F(BodyParsing, ExpectContinueIsAnswered) {
    Connection c("127.0.0.1", port());
    c.send(
        "POST /no-such-route HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 7\r\nExpect: 100-continue\r\n\r\n");
    EXPECT_EQ(c.read_response().status, 100);
    c.send("{\"a\":1}");
    EXPECT_EQ(c.read_response().status, 404);
}

}  // namespace
}  // namespace portcullis::test

namespace portcullis::test {
namespace {

// Contract 3.2: a JSON body shorter than its Content-Length (the client ended its stream early)
// is 400 `request size did not match content length`, through the normal pipeline.
TEST_F(BodyParsing, BodyShorterThanItsContentLengthIs400) {
    Connection connection("127.0.0.1", port());
    connection.send(
        "POST /no-such-route HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n{\"a\":1}");
    connection.shutdown_write();
    const auto r = connection.read_response();
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(
        r.body,
        R"({"error":{"message":"request size did not match content length","code":"BAD_REQUEST"}})");
    expect_pipeline_headers(r);
    EXPECT_TRUE(connection.closed_by_peer());
}

}  // namespace
}  // namespace portcullis::test
