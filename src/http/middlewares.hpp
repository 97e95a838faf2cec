// The standard middlewares of design section 3, in the order main.cpp chains them:
// access log (with the log-user resolver) → metrics → request id → compression → conditional GET
// (ETag) → security headers → CORS → JSON body → rate limits (ratelimit/) → router.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/pipeline.hpp"

namespace portcullis::observability {
class Logger;
}

namespace portcullis::http {

// Honours a non-empty `x-request-id`, else a new UUID v4; echoes it on every response (3.5).
Middleware request_id();

// One Pino-http-shaped line per response (10.2) with redacted headers (10.3).
// Names the user of a request that did not authenticate (contract 10.2: a valid Bearer token in
// any request); consulted only when a line is actually written.
using UserResolver = std::function<std::optional<std::string>(const Request&)>;
Middleware access_log(observability::Logger& logger, UserResolver resolve_user = {});

struct CompressionOptions {
    bool enabled = true;
    std::size_t min_bytes = 1024;
};
// Response compression of contract 3.9.
Middleware compression(CompressionOptions options);
bool is_compressible_type(std::string_view content_type);

// Weak ETag on every JSON or text body and 304 for a matching If-None-Match (3.1).
Middleware conditional_get();
std::string weak_etag(std::string_view body);
bool if_none_match_matches(std::string_view if_none_match, std::string_view etag);

// The fixed Helmet header set of contract 3.7.
Middleware security_headers();

struct CorsOptions {
    bool production = false;
    std::vector<std::string> origins;  // exact allowed Origin values
};
// CORS of contract 3.8: allow/deny by Origin, answers every allowed OPTIONS with 204.
Middleware cors(CorsOptions options, observability::Logger& logger);
bool cors_origin_allowed(const CorsOptions& options, std::string_view origin, bool has_origin);

struct BodyOptions {
    std::size_t limit = 100 * 1024;
};
// JSON body parsing of contract 3.4 with the errors of 3.2 (400, 413, 415).
Middleware json_body(BodyOptions options);
bool is_json_content_type(std::string_view content_type);

}  // namespace portcullis::http

namespace portcullis::observability {
class Registry;
class CounterFamily;
class HistogramFamily;
}  // namespace portcullis::observability

namespace portcullis::http {

class Router;

// http_requests_total and http_request_duration_seconds of contract 9.1, registered on
// construction (so /metrics shows them even when recording is off).
struct HttpMetrics {
    explicit HttpMetrics(observability::Registry& registry);
    observability::CounterFamily& requests;
    observability::HistogramFamily& duration;
};

// Records every response with method, route and status_code (decisions B.4, B.11). Chained right
// after the access log, so CORS rejections, OPTIONS, body-parser errors and 429s are counted too.
// The route label is the matched route's full template; when an earlier stage answered, the
// template the request would have matched; otherwise `unmatched`. Never a raw path, and methods
// outside the standard set are labelled `OTHER`, so the label set stays bounded.
Middleware metrics(const HttpMetrics& families, const Router& router);

}  // namespace portcullis::http
