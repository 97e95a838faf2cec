// The metrics recorder (contract 9.1, decisions B.4 and B.11): one http_requests_total increment
// and one http_request_duration_seconds observation per response, into the calling thread's
// shard. Once its series exists, a routed request costs two clock reads and two hash lookups and
// allocates nothing; only answers given before routing pay for one more route match.
#include <array>
#include <charconv>
#include <chrono>

#include "http/middlewares.hpp"
#include "http/router.hpp"
#include "observability/metrics.hpp"

namespace portcullis::http {
namespace {

constexpr std::array<std::string_view, 9> kMethods = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE"};

// Beast accepts any method token; a client must not be able to mint label values with them.
std::string_view method_label(std::string_view method) {
    for (const auto known : kMethods) {
        if (method == known) return known;
    }
    return "OTHER";
}

std::string_view route_label(const Request& request, const Router& router) {
    if (!request.route.empty()) return request.route;
    // An earlier stage (CORS, body parser, a limiter) answered before routing, or nothing matched.
    const auto match = router.match(request.method, request.path);
    return match.route != nullptr ? std::string_view(match.route->pattern) : "unmatched";
}

}  // namespace

HttpMetrics::HttpMetrics(observability::Registry& registry)
    : requests(registry.counter("http_requests_total", "Total number of HTTP requests",
                                {"method", "route", "status_code"})),
      duration(registry.histogram("http_request_duration_seconds",
                                  "Duration of HTTP requests in seconds",
                                  {"method", "route", "status_code"},
                                  {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5})) {}

Middleware metrics(const HttpMetrics& families, const Router& router) {
    return [&families, &router](Request& request, Next next) -> Awaitable<Response> {
        Response response = co_await next(request);
        // From the request's arrival (set by the connection), one clock read fewer per request.
        const std::chrono::duration<double> elapsed =
            std::chrono::steady_clock::now() - request.start;

        char status[12];
        auto* const end = std::to_chars(status, status + sizeof status, response.status).ptr;
        const std::array<std::string_view, 3> labels = {
            method_label(request.method), route_label(request, router),
            std::string_view(status, static_cast<std::size_t>(end - status))};
        families.requests.local(labels).inc();
        families.duration.local(labels).observe(elapsed.count());
        co_return response;
    };
}

}  // namespace portcullis::http
