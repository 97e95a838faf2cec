// See openapi_routes.hpp (GET /openapi.json; the /docs routes are in docs_routes.cpp).
#include <memory>

#include "http/cached_body.hpp"
#include "openapi/document.hpp"
#include "routes/error_catalog.hpp"
#include "routes/openapi_routes.hpp"

namespace portcullis::routes {

std::vector<http::Route> openapi_routes(const http::Router& router, const config::Config& config) {
    auto operation = std::make_shared<const openapi::Operation>(openapi::Operation{
        .operation_id = "getOpenApiDocument",
        .tag = "Operational",
        .summary = "This document",
        .description = "The OpenAPI 3.1 description of the routes this server serves, built at "
                       "start. Cacheable for five minutes; honours If-None-Match.",
        .successes = {
            {.status = 200, .description = "The OpenAPI document.", .schema = "OpenApiDocument"}}});

    std::vector<openapi::Endpoint> endpoints;
    for (const http::Route* route : router.routes()) {
        endpoints.push_back({route->method, route->pattern, route->operation.get()});
    }
    endpoints.push_back({"GET", "/openapi.json", operation.get()});

    // What the middlewares add to every route (contract 6, decisions A.4 and B.5), and what the
    // HTTP layer answers before any route runs (decisions E.1, issue #19).
    openapi::DocumentOptions options;
    options.every_operation = {errors::kBadRequest, errors::kRequestTimeout,
                               errors::kHeadersTooLarge};
    options.with_request_body = {errors::kInvalidJson, errors::kJsonTooDeep,
                                 errors::kPayloadTooLarge, errors::kUnsupportedMediaType};
    if (config.rate_limit_enabled) {
        options.every_operation.push_back(errors::kRateLimited);
        if (config.redis_in_use() &&
            config.rate_limit_redis_failure_mode == config::RedisFailureMode::closed) {
            options.every_operation_but_probes.push_back(errors::kRateLimitUnavailable);
        }
    }
    auto body =
        std::make_shared<const http::CachedBody>(openapi::build_document(endpoints, options));

    std::vector<http::Route> routes;
    routes.push_back({"GET", "/openapi.json",
                      [body](http::Request&) -> http::Awaitable<http::Response> {
                          auto response = http::Response::json(200, std::string(body->bytes()));
                          response.cached = body.get();
                          response.headers.set_static(
                              "Cache-Control", "public, max-age=300, stale-while-revalidate=60");
                          co_return response;
                      },
                      operation});
    return routes;
}

}  // namespace portcullis::routes
