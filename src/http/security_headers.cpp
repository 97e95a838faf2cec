// Helmet 8 default headers (contract 3.7); never X-Powered-By, never COEP.
#include "http/middlewares.hpp"

namespace portcullis::http {
namespace {
struct StaticHeader {
    std::string_view name;
    std::string_view value;
};
constexpr StaticHeader kSecurityHeaders[] = {
    {"Content-Security-Policy",
     "default-src 'self';base-uri 'self';font-src 'self' https: data:;form-action 'self';"
     "frame-ancestors 'self';img-src 'self' data:;object-src 'none';script-src 'self';"
     "script-src-attr 'none';style-src 'self' https: 'unsafe-inline';upgrade-insecure-requests"},
    {"Cross-Origin-Opener-Policy", "same-origin"},
    {"Cross-Origin-Resource-Policy", "same-origin"},
    {"Origin-Agent-Cluster", "?1"},
    {"Referrer-Policy", "no-referrer"},
    {"Strict-Transport-Security", "max-age=31536000; includeSubDomains"},
    {"X-Content-Type-Options", "nosniff"},
    {"X-DNS-Prefetch-Control", "off"},
    {"X-Download-Options", "noopen"},
    {"X-Frame-Options", "SAMEORIGIN"},
    {"X-Permitted-Cross-Domain-Policies", "none"},
    {"X-XSS-Protection", "0"},
};
}  // namespace

Middleware security_headers() {
    return [](Request& request, Next next) -> Awaitable<Response> {
        Response response = co_await next(request);
        for (const auto& h : kSecurityHeaders) {
            // A route may narrow the policy (the /docs redirect sends its own CSP).
            if (h.name == "Content-Security-Policy" && response.headers.contains(h.name)) continue;
            response.headers.set_static(h.name, h.value);
        }
        co_return response;
    };
}

}  // namespace portcullis::http
