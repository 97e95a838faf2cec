// The JSON body middleware driven directly (no sockets): parsing rules of contract 3.4.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "http/error.hpp"
#include "http/json_body.hpp"
#include "http/middlewares.hpp"
#include "observability/logger.hpp"

namespace portcullis::http {
namespace {

struct Outcome {
    int status = 0;
    std::string body;
    std::string parsed;  // serialized request.json, or empty
};

Outcome run(std::string content_type, std::string body, std::size_t limit = 1024,
            bool with_length = true) {
    observability::Logger logger(observability::Level::silent);
    std::string parsed;
    Pipeline pipeline(
        {json_body({limit})},
        [&parsed](Request& r) -> Awaitable<Response> {
            if (r.json) parsed = boost::json::serialize(*r.json);
            co_return Response::empty(204);
        },
        logger);
    Request request;
    request.method = "POST";
    request.body = std::move(body);
    const std::string length = std::to_string(request.body.size());
    if (!content_type.empty()) request.headers.add("Content-Type", content_type);
    if (with_length) request.headers.add("Content-Length", length);
    boost::asio::io_context ioc;
    auto future = boost::asio::co_spawn(ioc, pipeline.run(request), boost::asio::use_future);
    ioc.run();
    auto response = future.get();
    return {response.status, response.body, parsed};
}

TEST(JsonBody, ParsesObjectsAndArrays) {
    EXPECT_EQ(run("application/json", R"({"a":1})").parsed, R"({"a":1})");
    EXPECT_EQ(run("application/json", " [1, 2] ").parsed, "[1,2]");
}

TEST(JsonBody, DuplicateKeysKeepTheLastValue) {
    EXPECT_EQ(run("application/json", R"({"a":1,"a":2})").parsed, R"({"a":2})");
}

TEST(JsonBody, EmptyBodyIsAnEmptyObject) {
    EXPECT_EQ(run("application/json", "").parsed, "{}");
}

TEST(JsonBody, RequestWithoutBodyIsLeftAlone) {
    const auto outcome = run("application/json", "", 1024, false);
    EXPECT_EQ(outcome.status, 204);
    EXPECT_EQ(outcome.parsed, "");
}

TEST(JsonBody, StrictModeRejectsScalarsAndWhitespace) {
    for (const char* body : {"\"s\"", "1", "null", "  ", "{", "{}x", "[1,]"}) {
        const auto outcome = run("application/json", body);
        EXPECT_EQ(outcome.status, 400) << body;
        EXPECT_EQ(outcome.body, R"({"error":{"message":"Invalid JSON","code":"INVALID_JSON"}})")
            << body;
    }
}

TEST(JsonBody, InvalidUtf8IsInvalidJson) {
    EXPECT_EQ(run("application/json", "{\"a\":\"\xff\"}").status, 400);
}

TEST(JsonBody, OtherContentTypesAreNotParsed) {
    const auto outcome = run("text/plain", "{bad");
    EXPECT_EQ(outcome.status, 204);
    EXPECT_EQ(outcome.parsed, "");
}

TEST(JsonBody, CharsetMustBeUtf) {
    EXPECT_EQ(run("application/json; charset=utf-8", "{}").status, 204);
    EXPECT_EQ(run("application/json; charset=\"UTF-16\"", "{}").status, 204);
    const auto latin = run("application/json; charset=iso-8859-1", "{}");
    EXPECT_EQ(latin.status, 415);
    EXPECT_EQ(
        latin.body,
        R"({"error":{"message":"unsupported charset \"ISO-8859-1\"","code":"UNSUPPORTED_MEDIA_TYPE"}})");
}

TEST(JsonBody, SizeLimitIsInclusive) {
    EXPECT_EQ(run("application/json", "[" + std::string(8, '1') + "]", 10).status, 204);
    const auto over = run("application/json", "[" + std::string(9, '1') + "]", 10);
    EXPECT_EQ(over.status, 413);
    EXPECT_EQ(over.body,
              R"({"error":{"message":"request entity too large","code":"PAYLOAD_TOO_LARGE"}})");
}

TEST(JsonBody, DeepButReasonableNestingParses) {
    const std::string deep = std::string(100, '[') + std::string(100, ']');
    EXPECT_EQ(run("application/json", deep, 4096).status, 204);
}

TEST(JsonBody, NestingBeyondTheLimitIsJsonTooDeep) {
    // Valid JSON deeper than kMaxJsonDepth says what it is instead of "Invalid JSON".
    const auto nested = [](std::size_t depth) {
        return std::string(depth, '[') + std::string(depth, ']');
    };
    EXPECT_EQ(run("application/json", nested(kMaxJsonDepth), 4096).status, 204);
    const auto deeper = run("application/json", nested(kMaxJsonDepth + 1), 4096);
    EXPECT_EQ(deeper.status, 400);
    EXPECT_EQ(
        deeper.body,
        R"({"error":{"message":"JSON nested deeper than 256 levels","code":"JSON_TOO_DEEP"}})");
    // Far deeper and unbalanced: still the depth verdict, found before the end of the text.
    EXPECT_EQ(run("application/json", std::string(50000, '['), 65536).body, deeper.body);
    // The message states the constant.
    EXPECT_EQ(errors::kJsonTooDeep.message,
              "JSON nested deeper than " + std::to_string(kMaxJsonDepth) + " levels");
}

TEST(JsonBody, ParseJsonTextIsTheMiddlewaresParser) {
    EXPECT_TRUE(parse_json_text("").value != nullptr);  // the empty object
    EXPECT_EQ(parse_json_text("{\"a\":1,\"a\":2}").value->at("a").as_int64(), 2);  // last wins
    EXPECT_EQ(parse_json_text("1").error, &errors::kInvalidJson);
    EXPECT_EQ(parse_json_text("{").error, &errors::kInvalidJson);
    EXPECT_EQ(parse_json_text(std::string(300, '[')).error, &errors::kJsonTooDeep);
}

}  // namespace
}  // namespace portcullis::http
