// The wire-level steps the server and the request fuzzer share (issue #19): Beast's parser with
// the server's limits, the errors answered before the pipeline, the Request it yields and the
// serialized response head.
#include "http/wire.hpp"

#include <gtest/gtest.h>

#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>

namespace portcullis::http {
namespace {
namespace bhttp = boost::beast::http;

// Feeds `bytes` to a fresh parser with `limits`; the error of the header read, if any.
boost::system::error_code parse_header(RequestParser& parser, std::string_view bytes,
                                       const ParseLimits& limits = {}) {
    apply_limits(parser, limits);
    parser.eager(true);
    boost::system::error_code ec;
    parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    return ec;
}

TEST(Wire, HeaderBytesLimitCoversTheRequestLine) {
    RequestParser small;
    EXPECT_FALSE(parse_header(small, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", {64, 10, 100}));
    RequestParser long_line;
    const auto ec = parse_header(long_line, "GET /" + std::string(100, 'a') + " HTTP/1.1\r\n\r\n",
                                 {64, 10, 100});
    EXPECT_EQ(ec, bhttp::error::header_limit);
    EXPECT_EQ(classify_read_error(ec, false), Rejection::headers_too_large);
}

TEST(Wire, FieldCountIsCheckedAfterTheHeader) {
    std::string request = "GET / HTTP/1.1\r\n";
    for (int i = 0; i < 5; ++i) request += "X-" + std::to_string(i) + ": v\r\n";
    request += "\r\n";
    RequestParser parser;
    ASSERT_FALSE(parse_header(parser, request));
    EXPECT_FALSE(too_many_fields(parser, {16384, 5, 100}));
    EXPECT_TRUE(too_many_fields(parser, {16384, 4, 100}));
}

TEST(Wire, ReadErrorsMapToTheirAnswers) {
    using boost::asio::error::basic_errors;
    EXPECT_EQ(classify_read_error(bhttp::error::bad_method, false), Rejection::bad_request);
    EXPECT_EQ(classify_read_error(bhttp::error::partial_message, false), Rejection::bad_request);
    EXPECT_EQ(classify_read_error(bhttp::error::buffer_overflow, false),
              Rejection::headers_too_large);
    // A timeout wins: the read was cancelled by the sweep.
    EXPECT_EQ(classify_read_error(boost::asio::error::operation_aborted, true),
              Rejection::request_timeout);
    // Nobody to answer.
    EXPECT_EQ(classify_read_error(bhttp::error::end_of_stream, false), std::nullopt);
    EXPECT_EQ(classify_read_error(boost::asio::error::connection_reset, false), std::nullopt);
    EXPECT_EQ(classify_read_error(boost::asio::error::operation_aborted, false), std::nullopt);
}

TEST(Wire, RejectionsCarryTheirCodes) {
    EXPECT_EQ(rejection_response(Rejection::bad_request).body,
              R"({"error":{"message":"Bad Request","code":"BAD_REQUEST"}})");
    EXPECT_EQ(rejection_response(Rejection::request_timeout).status, 408);
    EXPECT_EQ(rejection_response(Rejection::request_timeout).body,
              R"({"error":{"message":"Request Timeout","code":"REQUEST_TIMEOUT"}})");
    EXPECT_EQ(rejection_response(Rejection::headers_too_large).status, 431);
    EXPECT_EQ(
        rejection_response(Rejection::headers_too_large).body,
        R"({"error":{"message":"Request Header Fields Too Large","code":"HEADERS_TOO_LARGE"}})");
}

TEST(Wire, ToRequestSplitsTheTargetAndDerivesTheClientIp) {
    RequestParser parser;
    ASSERT_FALSE(parse_header(parser,
                              "POST /auth/login?x=1 HTTP/1.1\r\nHost: h\r\n"
                              "X-Forwarded-For: 203.0.113.9\r\nContent-Length: 2\r\n\r\n{}"));
    ASSERT_TRUE(parser.is_done());
    const auto request =
        to_request(parser, {"::ffff:127.0.0.1", 4000}, util::TrustProxy::loopback(), {});
    EXPECT_EQ(request.method, "POST");
    EXPECT_EQ(request.path, "/auth/login");
    EXPECT_EQ(request.query, "x=1");
    EXPECT_EQ(request.body, "{}");
    EXPECT_EQ(request.headers.get("host"), "h");
    EXPECT_EQ(request.remote_address, "::ffff:127.0.0.1");
    EXPECT_EQ(request.client_ip, "203.0.113.9");
}

TEST(Wire, SerializedHeadFramesTheBody) {
    Response json = Response::json(200, R"({"status":"ok"})");
    const auto wire = serialize_response(json, false, true, std::chrono::seconds(5), "D");
    EXPECT_EQ(wire.head,
              "HTTP/1.1 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n"
              "Content-Length: 15\r\nDate: D\r\nConnection: keep-alive\r\n"
              "Keep-Alive: timeout=5\r\n\r\n");
    EXPECT_TRUE(wire.send_body);
    // HEAD: the same head, no body.
    EXPECT_FALSE(serialize_response(json, true, false, std::chrono::seconds(5), "D").send_body);
    // Chunked: one chunk, then the end.
    json.chunked = true;
    const auto chunked = serialize_response(json, false, false, std::chrono::seconds(5), "D");
    EXPECT_NE(chunked.head.find("Transfer-Encoding: chunked\r\n"), std::string::npos);
    EXPECT_NE(chunked.head.find("Connection: close\r\n"), std::string::npos);
    EXPECT_EQ(chunked.chunk_prefix, "f\r\n");
    EXPECT_EQ(chunked.trailer, "\r\n0\r\n\r\n");
    // 204: no length, no body.
    const auto empty =
        serialize_response(Response::empty(204), false, true, std::chrono::seconds(5), "D");
    EXPECT_EQ(empty.head.find("Content-Length"), std::string::npos);
    EXPECT_FALSE(empty.send_body);
}

}  // namespace
}  // namespace portcullis::http
