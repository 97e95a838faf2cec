// The HTTP/1.1 wire format as the server speaks it, without sockets: Beast's request parser with
// the server's limits, the step from a parsed message to our Request, the errors answered before
// the pipeline, and the serialized response head. The server and the request fuzzer
// (fuzz/http_request.cpp) both call these, so the fuzzer drives the production path.
// Includes Beast: include it only where requests are read (server.cpp, the fuzzer).
#pragma once

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "http/request.hpp"
#include "http/response.hpp"
#include "util/trust_proxy.hpp"

namespace portcullis::http {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

struct ParseLimits {
    std::size_t header_bytes = 16 * 1024;  // request line and header fields together
    std::size_t header_fields = 100;
    std::size_t body_bytes = 100 * 1024;
};

// The limits a fresh parser enforces while it reads (header bytes, body bytes).
void apply_limits(RequestParser& parser, const ParseLimits& limits);

// Reads that end before the pipeline, and what the client is told (then the connection closes).
enum class Rejection {
    bad_request,        // 400 BAD_REQUEST: not HTTP/1.x
    request_timeout,    // 408 REQUEST_TIMEOUT: the request did not arrive in time
    headers_too_large,  // 431 HEADERS_TOO_LARGE: header bytes or field count over the limit
};
// How a failed header or body read ends: a rejection, or nullopt when the client went away (or
// the server is closing the connection) and there is nobody to answer.
std::optional<Rejection> classify_read_error(const boost::system::error_code& error,
                                             bool timed_out);
// The complete header arrived but holds more fields than allowed.
bool too_many_fields(const RequestParser& parser, const ParseLimits& limits);
Response rejection_response(Rejection rejection);

struct Peer {
    std::string
        address;  // as Node shows it: IPv4 clients of the dual-stack socket as ::ffff:a.b.c.d
    std::uint16_t port = 0;
};

// The parsed message as our Request. Method, target and headers are views into the parser's
// message, so the parser must outlive the request; the body is moved out.
Request to_request(RequestParser& parser, const Peer& peer, const util::TrustProxy& trust,
                   std::chrono::steady_clock::time_point start);

// The response head (status line, headers, framing, Date, Connection) and how the body follows.
struct WireResponse {
    std::string head;
    std::string chunk_prefix;  // `<hex size>\r\n` before the body when chunked
    std::string_view trailer;  // what ends a chunked body; empty otherwise
    bool send_body = false;    // the body bytes follow the head (or the chunk prefix)
};
WireResponse serialize_response(const Response& response, bool head_request, bool keep_alive,
                                std::chrono::milliseconds keepalive_timeout,
                                std::string_view http_date);

}  // namespace portcullis::http
