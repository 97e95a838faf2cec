// Route table and Express-compatible matching (contract section 1): case-insensitive literal
// segments, one optional trailing slash, `:name` parameters, HEAD served by GET routes, no 405.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/pipeline.hpp"

namespace portcullis::openapi {
struct Operation;
}

namespace portcullis::http {

struct Route {
    std::string method;   // GET, POST, ...
    std::string pattern;  // full template, e.g. `/protected/users/:userId`
    Handler handler;
    // What the OpenAPI document says about the route (routes/ fills it; http/ only carries it).
    std::shared_ptr<const openapi::Operation> operation = {};
};

struct RouteMatch {
    const Route* route = nullptr;
    std::vector<std::pair<std::string_view, std::string>> params;  // decoded
    std::optional<std::string> undecodable_param;  // raw segment that failed to decode
};

// Decodes `%XX` escapes as JavaScript's decodeURIComponent: nullopt on a malformed escape or
// when the bytes are not valid UTF-8.
std::optional<std::string> decode_uri_component(std::string_view text);

class Router {
public:
    void add(Route route);
    void add_all(std::vector<Route> routes);

    // Pure matching; an empty match when nothing matches. A parameter that cannot be decoded is
    // reported in `undecodable_param` (dispatch answers 400 `Failed to decode param '<raw>'`).
    RouteMatch match(std::string_view method, std::string_view path) const;

    // Terminal handler of the pipeline: match, fill request.route/params, call; 404 otherwise.
    Awaitable<Response> dispatch(Request& request) const;

    // Every route in the order added (what the OpenAPI document is built from).
    std::vector<const Route*> routes() const;

private:
    struct Compiled {
        Route route;
        std::vector<std::string> segments;  // literal text, or `:name`
    };
    std::vector<Compiled> routes_;
};

}  // namespace portcullis::http
