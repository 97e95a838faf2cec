// See wire.hpp.
#include "http/wire.hpp"

#include <boost/asio/error.hpp>

#include <algorithm>
#include <charconv>
#include <iterator>
#include <limits>

#include "http/error.hpp"

namespace portcullis::http {
namespace bhttp = boost::beast::http;

namespace {
void append_number(std::string& out, std::size_t value, int base = 10) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, value, base);
    out.append(buf, r.ptr);
}
}  // namespace

void apply_limits(RequestParser& parser, const ParseLimits& limits) {
    parser.header_limit(static_cast<std::uint32_t>(
        std::min<std::size_t>(limits.header_bytes, std::numeric_limits<std::uint32_t>::max())));
    parser.body_limit(limits.body_bytes);
}

std::optional<Rejection> classify_read_error(const boost::system::error_code& error,
                                             bool timed_out) {
    if (timed_out) return Rejection::request_timeout;
    if (error == bhttp::error::header_limit || error == bhttp::error::buffer_overflow) {
        return Rejection::headers_too_large;
    }
    if (error == bhttp::error::end_of_stream || error == boost::asio::error::eof ||
        error == boost::asio::error::connection_reset ||
        error == boost::asio::error::operation_aborted ||
        error == boost::asio::error::broken_pipe) {
        return std::nullopt;
    }
    return Rejection::bad_request;
}

bool too_many_fields(const RequestParser& parser, const ParseLimits& limits) {
    const auto& message = parser.get();
    return static_cast<std::size_t>(std::distance(message.begin(), message.end())) >
           limits.header_fields;
}

Response rejection_response(Rejection rejection) {
    const LayerError& error = rejection == Rejection::request_timeout     ? errors::kRequestTimeout
                              : rejection == Rejection::headers_too_large ? errors::kHeadersTooLarge
                                                                          : errors::kBadRequest;
    return Response::error(error.status, error.message, error.code);
}

Request to_request(RequestParser& parser, const Peer& peer, const util::TrustProxy& trust,
                   std::chrono::steady_clock::time_point start) {
    auto& message = parser.get();
    Request request;
    request.start = start;
    request.method = message.method_string();
    request.target = message.target();
    const auto question = request.target.find('?');
    request.path = request.target.substr(0, question);
    if (question != std::string_view::npos) request.query = request.target.substr(question + 1);
    request.version = message.version();
    for (const auto& field : message) request.headers.add(field.name_string(), field.value());
    request.body = std::move(message.body());
    request.remote_address = peer.address;
    request.remote_port = peer.port;
    request.client_ip =
        util::derive_client_ip(trust, peer.address, request.headers.joined("x-forwarded-for"));
    return request;
}

WireResponse serialize_response(const Response& response, bool head_request, bool keep_alive,
                                std::chrono::milliseconds keepalive_timeout,
                                std::string_view http_date) {
    WireResponse wire;
    std::string& head = wire.head;
    head.reserve(1024);
    head += "HTTP/1.1 ";
    append_number(head, static_cast<std::size_t>(response.status));
    head += ' ';
    head += reason_phrase(response.status);
    head += "\r\n";
    for (const auto& entry : response.headers.entries()) {
        head += entry.name;
        head += ": ";
        head += entry.value();
        head += "\r\n";
    }
    const bool bodiless_status = response.status == 204 || response.status == 304;
    if (response.chunked) {
        head += "Transfer-Encoding: chunked\r\n";
    } else if (!bodiless_status && !response.headers.contains("Content-Length")) {
        head += "Content-Length: ";
        append_number(head, response.body.size());
        head += "\r\n";
    }
    head += "Date: ";
    head += http_date;
    head += "\r\n";
    if (keep_alive) {
        head += "Connection: keep-alive\r\nKeep-Alive: timeout=";
        append_number(head, static_cast<std::size_t>(keepalive_timeout.count() / 1000));
        head += "\r\n\r\n";
    } else {
        head += "Connection: close\r\n\r\n";
    }

    const bool has_body = !head_request && !bodiless_status && !response.body.empty();
    if (has_body && response.chunked) {
        append_number(wire.chunk_prefix, response.body.size(), 16);
        wire.chunk_prefix += "\r\n";
        wire.trailer = "\r\n0\r\n\r\n";
    } else if (response.chunked && !head_request) {
        wire.trailer = "0\r\n\r\n";  // an empty chunked body
    }
    wire.send_body = has_body;
    return wire;
}

}  // namespace portcullis::http
