// See middleware.hpp.
#include "ratelimit/middleware.hpp"

#include "util/strings.hpp"
#include "util/unavailable.hpp"

namespace portcullis::ratelimit {
namespace {

using util::iequals;

void set_headers(http::Response& response, const LimiterSpec& limiter, const Decision& d) {
    response.headers.set("RateLimit-Policy", limiter.policy);
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

bool is_probe(const http::Request& request) {
    if (request.method != "GET" && request.method != "HEAD") return false;
    return matches_route(request.path, "/health") || matches_route(request.path, "/ready") ||
           matches_route(request.path, "/metrics");
}

}  // namespace

bool under_auth_mount(std::string_view path) {
    if (path.size() < 5 || !iequals(path.substr(0, 5), "/auth")) return false;
    return path.size() == 5 || path[5] == '/';
}

bool matches_route(std::string_view path, std::string_view route) {
    if (path.size() == route.size() + 1 && path.back() == '/') path.remove_suffix(1);
    return iequals(path, route);
}

const LimiterSpec* route_limiter(const LimiterSet& set, std::string_view method,
                                 std::string_view path) {
    if (method != "POST") return nullptr;
    if (matches_route(path, "/auth/register")) return &set.register_user;
    if (matches_route(path, "/auth/request-password-reset")) return &set.password_reset;
    if (matches_route(path, "/auth/resend-verification")) return &set.resend_verification;
    return nullptr;
}

http::Middleware rate_limits(Limiters& limiters, LimiterSet set) {
    return [&limiters, set = std::move(set)](http::Request& request,
                                             http::Next next) -> http::Awaitable<http::Response> {
        const std::string_view ip = !request.client_ip.empty() ? std::string_view(request.client_ip)
                                    : !request.remote_address.empty()
                                        ? std::string_view(request.remote_address)
                                        : std::string_view("unknown");
        const std::string key = client_key(ip);

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
                decision = co_await limiters.check(*limiter, key);
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

}  // namespace portcullis::ratelimit
