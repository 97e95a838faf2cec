// CORS middleware (contract 3.8): exact-match allowlist, open in non-production when the list is
// empty; every allowed OPTIONS request is answered here with 204.
#include "http/middlewares.hpp"
#include "observability/logger.hpp"
#include "util/json_text.hpp"

namespace portcullis::http {

bool cors_origin_allowed(const CorsOptions& options, std::string_view origin, bool has_origin) {
    if (!has_origin) return true;
    for (const auto& allowed : options.origins) {
        if (allowed == origin) return true;
    }
    return !options.production && options.origins.empty();
}

Middleware cors(CorsOptions options, observability::Logger& logger) {
    return [options = std::move(options), &logger](Request& request,
                                                   Next next) -> Awaitable<Response> {
        const bool has_origin = request.headers.contains("origin");
        const auto origin = request.headers.get("origin");
        if (!cors_origin_allowed(options, origin, has_origin)) {
            if (logger.enabled(observability::Level::warn)) {
                std::string req_json = "{\"id\":";
                util::append_json_string(req_json, request.id);
                req_json += ",\"method\":";
                util::append_json_string(req_json, request.method);
                req_json += ",\"url\":";
                util::append_json_string(req_json, request.target);
                req_json += '}';
                logger.log(observability::Level::warn, "Blocked CORS origin",
                           observability::LogFields().raw("req", req_json).str("origin", origin));
            }
            co_return Response::error(403, "Forbidden", "CORS_ORIGIN_FORBIDDEN");
        }

        auto decorate = [&](Response& response) {
            if (has_origin)
                response.headers.set("Access-Control-Allow-Origin", std::string(origin));
            response.headers.set_static("Access-Control-Allow-Credentials", "true");
        };

        if (request.method == "OPTIONS") {
            Response response = Response::empty(204);
            decorate(response);
            response.headers.set_static("Access-Control-Allow-Methods",
                                        "GET,HEAD,PUT,PATCH,POST,DELETE");
            const auto requested = request.headers.get("access-control-request-headers");
            if (!requested.empty()) {
                response.headers.set("Access-Control-Allow-Headers", std::string(requested));
            }
            add_vary(response, "Origin");
            add_vary(response, "Access-Control-Request-Headers");
            response.headers.set_static("Content-Length", "0");
            co_return response;
        }

        Response response = co_await next(request);
        decorate(response);
        add_vary(response, "Origin");
        co_return response;
    };
}

}  // namespace portcullis::http
