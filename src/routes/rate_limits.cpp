// See rate_limits.hpp.
#include "routes/rate_limits.hpp"

#include "http/router.hpp"
#include "util/strings.hpp"
#include "util/unavailable.hpp"

namespace portcullis::routes {
namespace {
using ratelimit::Decision;
using ratelimit::Limiters;
using ratelimit::LimiterSet;
using ratelimit::LimiterSpec;

using util::iequals;

// `limiter` lives as long as the middleware, which outlives every response it touches.
void set_headers(http::Response& response, const LimiterSpec& limiter, const Decision& d) {
    response.headers.set_static("RateLimit-Policy", limiter.policy);
    response.headers.set("RateLimit-Limit", std::to_string(d.limit));
    response.headers.set("RateLimit-Remaining", std::to_string(d.remaining));
    response.headers.set("RateLimit-Reset", std::to_string(d.reset_seconds));
}

http::Response rejection(const LimiterSpec& limiter, const Decision& d) {
    http::Response response =
        http::Response::error(429, "Too many requests, please try again later.", "RATE_LIMITED");
    set_headers(response, limiter, d);
    response.headers.set("Retry-After", std::to_string(d.reset_seconds));
    return response;
}

// Route matching is the router's (Express rules: case-insensitive, one optional trailing slash,
// HEAD served by GET); these tables only name the routes, their handlers are never called.
http::Router route_table(std::string_view method, std::initializer_list<const char*> patterns) {
    http::Router router;
    for (const char* pattern : patterns) router.add({std::string(method), pattern, {}});
    return router;
}

const http::Router& route_limited() {
    static const http::Router router = route_table(
        "POST", {"/auth/register", "/auth/request-password-reset", "/auth/resend-verification"});
    return router;
}

// Keep-alive connections send many requests from one address in a row: the last key of this
// I/O thread is reused instead of parsing and formatting the address again.
const std::string& cached_client_key(std::string_view client_ip) {
    thread_local std::string last_ip;
    thread_local std::string last_key;
    if (client_ip != last_ip || last_key.empty()) {
        last_key = ratelimit::client_key(client_ip);
        last_ip = client_ip;
    }
    return last_key;
}

// Requests that must answer even while the Redis store is down (decisions A.4).
bool is_probe(const http::Request& request) {
    static const http::Router probes = route_table("GET", {"/health", "/ready", "/metrics"});
    return probes.match(request.method, request.path).route != nullptr;
}

// Liveness and readiness probes never wait on Redis (decisions E.6): a frozen Redis would hold
// them for the whole call timeout, and an orchestrator would take the replica for dead. They are
// counted by this replica's memory store instead (the limit of their address still applies).
bool is_health_probe(const http::Request& request) {
    static const http::Router probes = route_table("GET", {"/health", "/ready"});
    return probes.match(request.method, request.path).route != nullptr;
}

}  // namespace

bool under_auth_mount(std::string_view path) {
    if (path.size() < 5 || !iequals(path.substr(0, 5), "/auth")) return false;
    return path.size() == 5 || path[5] == '/';
}

const LimiterSpec* route_limiter(const LimiterSet& set, std::string_view method,
                                 std::string_view path) {
    const http::RouteMatch match = route_limited().match(method, path);
    if (match.route == nullptr) return nullptr;
    const std::string& pattern = match.route->pattern;
    if (pattern == "/auth/register") return &set.register_user;
    if (pattern == "/auth/request-password-reset") return &set.password_reset;
    return &set.resend_verification;
}

http::Middleware rate_limits(Limiters& limiters, LimiterSet set) {
    return [&limiters, set = std::move(set)](http::Request& request,
                                             http::Next next) -> http::Awaitable<http::Response> {
        // The server always derives client_ip (the socket address at least, contract 2.4).
        // A copy: the cache may move on to another client while this request awaits Redis.
        const std::string key = cached_client_key(
            request.client_ip.empty() ? std::string_view("unknown") : request.client_ip);

        const LimiterSpec* stages[3] = {&set.global, nullptr, nullptr};
        if (under_auth_mount(request.path)) {
            stages[1] = &set.auth;
            stages[2] = route_limiter(set, request.method, request.path);
        }
        const LimiterSpec* shown = nullptr;
        Decision shown_decision;
        for (const LimiterSpec* limiter : stages) {
            if (limiter == nullptr) continue;
            std::optional<Decision> decision;
            bool store_down = false;
            try {
                if (limiters.uses_redis() && !is_health_probe(request)) {
                    decision = co_await limiters.check(*limiter, key);
                } else {
                    decision = limiters.check_local(*limiter, key);
                }
            } catch (const util::Unavailable&) {
                if (!is_probe(request)) throw;
                store_down = true;
            }
            // Decisions A.4: /health stays 200 and /ready reports REDIS_NOT_READY even in
            // `closed` mode, so orchestrators see the real state.
            if (store_down) break;
            if (!decision) continue;
            if (!decision->allowed) co_return rejection(*limiter, *decision);
            shown = limiter;
            shown_decision = *decision;
        }
        http::Response response = co_await next(request);
        if (shown != nullptr) set_headers(response, *shown, shown_decision);
        co_return response;
    };
}

}  // namespace portcullis::routes
