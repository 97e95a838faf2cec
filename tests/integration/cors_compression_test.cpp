// CORS (contract 3.8) in development and production, and response compression (3.9).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "harness.hpp"
#include "http_client.hpp"
#include "server_process.hpp"

namespace portcullis::test {
namespace {
using ::testing::HasSubstr;

Env production_env() {
    auto env = base_env();
    env["APP_ENV"] = "production";
    env["CORS_ORIGINS"] = "https://allowed.example, https://second.example";
    env["RATE_LIMIT_REDIS_URL"] = require_redis();
    return env;
}

TEST(Cors, DevelopmentWithoutListAllowsAnyOrigin) {
    ServerProcess server(base_env());
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto r = get(server.port(), "/health", {{"Origin", "https://anything.example"}});
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("access-control-allow-origin"), "https://anything.example");
    EXPECT_EQ(r.header("access-control-allow-credentials"), "true");
    EXPECT_THAT(*r.header("vary"), HasSubstr("Origin"));

    const auto no_origin = get(server.port(), "/health");
    EXPECT_FALSE(no_origin.has_header("access-control-allow-origin"));
    EXPECT_EQ(no_origin.header("access-control-allow-credentials"), "true");
    EXPECT_EQ(no_origin.header("vary"), "Origin, Accept-Encoding");
}

TEST(Cors, ProductionAllowlistAllowsListedOriginsOnly) {
    ServerProcess server(production_env());
    ASSERT_TRUE(server.wait_healthy()) << server.output();

    const auto ok = get(server.port(), "/health", {{"Origin", "https://second.example"}});
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(ok.header("access-control-allow-origin"), "https://second.example");

    for (const std::string origin : {"https://malicious.example", "https://allowed.example/",
                                     "null", "HTTPS://ALLOWED.EXAMPLE"}) {
        const auto denied = get(server.port(), "/health", {{"Origin", origin}});
        EXPECT_EQ(denied.status, 403) << origin;
        EXPECT_EQ(denied.body,
                  R"({"error":{"message":"Forbidden","code":"CORS_ORIGIN_FORBIDDEN"}})");
        EXPECT_FALSE(denied.has_header("access-control-allow-origin"));
        EXPECT_FALSE(denied.has_header("access-control-allow-credentials"));
        EXPECT_EQ(denied.header("x-frame-options"), "SAMEORIGIN");
        EXPECT_TRUE(denied.has_header("x-request-id"));
        if (auto vary = denied.header("vary")) {
            EXPECT_THAT(*vary, ::testing::Not(HasSubstr("Origin")));
        }
    }
    const auto denied_options = fetch(
        server.port(),
        Request{"OPTIONS", "/auth/login", {{"Origin", "https://evil.example"}}, std::nullopt});
    EXPECT_EQ(denied_options.status, 403);

    EXPECT_TRUE(server.wait_for_line([](const boost::json::value& line) {
        return json_string_at(line, {"msg"}) == "Blocked CORS origin" &&
               json_string_at(line, {"origin"}) == "https://malicious.example";
    }));
    // Requests without Origin are allowed.
    EXPECT_EQ(get(server.port(), "/health").status, 200);
}

TEST(Cors, AllowedOptionsIsAPreflight204) {
    ServerProcess server(production_env());
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto r = fetch(server.port(),
                         Request{"OPTIONS",
                                 "/auth/login",
                                 {{"Origin", "https://allowed.example"},
                                  {"Access-Control-Request-Method", "POST"},
                                  {"Access-Control-Request-Headers", "content-type,authorization"}},
                                 std::nullopt});
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(r.header("content-length"), "0");
    EXPECT_EQ(r.header("access-control-allow-methods"), "GET,HEAD,PUT,PATCH,POST,DELETE");
    EXPECT_EQ(r.header("access-control-allow-headers"), "content-type,authorization");
    EXPECT_EQ(r.header("access-control-allow-origin"), "https://allowed.example");
    EXPECT_EQ(r.header("access-control-allow-credentials"), "true");
    EXPECT_EQ(r.header("vary"), "Origin, Access-Control-Request-Headers");
    EXPECT_EQ(r.header("x-content-type-options"), "nosniff");
    EXPECT_FALSE(r.has_header("access-control-max-age"));
    EXPECT_FALSE(r.has_header("access-control-expose-headers"));

    // Without requested headers the allow-headers header is omitted; any path is answered.
    const auto plain = fetch(
        server.port(),
        Request{
            "OPTIONS", "/does/not/exist", {{"Origin", "https://allowed.example"}}, std::nullopt});
    EXPECT_EQ(plain.status, 204);
    EXPECT_FALSE(plain.has_header("access-control-allow-headers"));
}

TEST(Compression, SmallBodiesStayPlainButVaryOnAcceptEncoding) {
    ServerProcess server(base_env());
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto r = get(server.port(), "/version", {{"Accept-Encoding", "gzip, deflate, br"}});
    EXPECT_FALSE(r.has_header("content-encoding"));
    EXPECT_THAT(*r.header("vary"), HasSubstr("Accept-Encoding"));
}

TEST(Compression, BodiesAtTheThresholdAreCompressedWithTheBestCoding) {
    auto env = base_env();
    env["RESPONSE_COMPRESSION_MIN_BYTES"] = "20";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto plain = get(server.port(), "/version");

    const auto gz = get(server.port(), "/version", {{"Accept-Encoding", "gzip, deflate"}});
    EXPECT_EQ(gz.header("content-encoding"), "gzip");
    EXPECT_FALSE(gz.has_header("content-length"));
    EXPECT_EQ(gz.header("transfer-encoding"), "chunked");
    EXPECT_EQ(gunzip(gz.body), plain.body);
    EXPECT_EQ(gz.header("etag"), plain.header("etag"));
    EXPECT_EQ(gz.header("cache-control"), "public, max-age=300, stale-while-revalidate=60");

    const auto br = get(server.port(), "/version", {{"Accept-Encoding", "gzip, br"}});
    EXPECT_EQ(br.header("content-encoding"), "br");
    EXPECT_EQ(brotli_decompress(br.body), plain.body);
    // deflate only when asked for alone: the zlib format, decoded by zlib itself.
    const auto deflated = get(server.port(), "/version", {{"Accept-Encoding", "deflate"}});
    EXPECT_EQ(deflated.header("content-encoding"), "deflate");
    EXPECT_EQ(zlib_inflate(deflated.body), plain.body);
    EXPECT_EQ(get(server.port(), "/version", {{"Accept-Encoding", "*"}}).header("content-encoding"),
              "br");
    EXPECT_FALSE(get(server.port(), "/version", {{"Accept-Encoding", "identity"}})
                     .has_header("content-encoding"));
    EXPECT_FALSE(get(server.port(), "/version", {{"Accept-Encoding", "gzip;q=0"}})
                     .has_header("content-encoding"));
    // Below the threshold: /health is 15 bytes.
    EXPECT_FALSE(get(server.port(), "/health", {{"Accept-Encoding", "gzip"}})
                     .has_header("content-encoding"));
    // HEAD is never compressed.
    const auto head = fetch(
        server.port(), Request{"HEAD", "/version", {{"Accept-Encoding", "gzip"}}, std::nullopt});
    EXPECT_FALSE(head.has_header("content-encoding"));
}

TEST(Compression, CanBeDisabled) {
    auto env = base_env();
    env["RESPONSE_COMPRESSION_MIN_BYTES"] = "0";
    env["RESPONSE_COMPRESSION_ENABLED"] = "false";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto r = get(server.port(), "/version", {{"Accept-Encoding", "gzip"}});
    EXPECT_FALSE(r.has_header("content-encoding"));
    EXPECT_FALSE(r.has_header("vary") &&
                 r.header("vary")->find("Accept-Encoding") != std::string::npos);
}

}  // namespace
}  // namespace portcullis::test
