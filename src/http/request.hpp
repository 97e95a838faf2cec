// A parsed HTTP request as the middleware chain and handlers see it.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/fwd.hpp>

#include "http/headers.hpp"

namespace portcullis::http {

struct Request {
    Request();
    ~Request();
    Request(Request&&) noexcept;
    Request& operator=(Request&&) noexcept;

    std::string_view method;  // as received (methods are case-sensitive in HTTP)
    std::string_view target;  // raw request target, e.g. `/auth/login?x=1`
    std::string_view path;    // target without the query string
    std::string_view query;   // after `?`, without it
    unsigned version = 11;    // 10 or 11
    RequestHeaders headers;
    std::string body;  // raw body bytes as received

    // Set by the body parser for JSON requests; null for other content types.
    std::unique_ptr<boost::json::value> json;

    // Set by the connection when the body exceeded its size limit while reading (413 later).
    bool body_too_large = false;
    // Set when the client ended its stream before sending Content-Length bytes (400 later).
    bool body_incomplete = false;

    std::string id;              // request id (3.5)
    std::string remote_address;  // socket peer as Node shows it (`::ffff:127.0.0.1`)
    std::uint16_t remote_port = 0;
    std::string client_ip;  // derived through TRUST_PROXY (2.4)
    int socket_fd = -1;     // the connection's socket; only for noticing that the client left
    std::chrono::steady_clock::time_point start;

    // Filled by the router.
    std::string_view route;  // full route template, e.g. `/protected/users/:userId`
    std::vector<std::pair<std::string_view, std::string>> params;  // decoded path parameters
    std::string_view param(std::string_view name) const;

    // Set when the caller is known (Bearer token), for the request log.
    std::optional<std::string> user_id;

    bool is_head() const { return method == "HEAD"; }
};

// True when the client has closed or reset its connection (a non-blocking peek reads EOF or an
// error): the request was aborted (contract 10.2). One system call; pipelined bytes count as alive.
bool client_disconnected(const Request& request);
// The same for a connection's socket descriptor (-1: never disconnected). Safe from any thread.
bool socket_disconnected(int fd);

}  // namespace portcullis::http
