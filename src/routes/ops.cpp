// See ops.hpp.
#include "routes/ops.hpp"

#include <memory>

#include "http/error.hpp"
#include "observability/json_text.hpp"
#include "util/build_info.hpp"

namespace portcullis::routes {
namespace {
std::string version_body() {
    std::string body = "{\"version\":";
    observability::append_json_string(body, build_info::kVersion);
    body += ",\"gitSha\":";
    observability::append_json_string(body, build_info::kGitSha);
    body += ",\"buildTime\":";
    observability::append_json_string(body, build_info::kBuildTime);
    body += '}';
    return body;
}
}  // namespace

std::vector<http::Route> ops_routes(const Lifecycle& lifecycle,
                                    std::vector<ReadinessCheck> readiness_checks) {
    auto checks = std::make_shared<const std::vector<ReadinessCheck>>(std::move(readiness_checks));
    std::vector<http::Route> routes;

    routes.push_back({"GET", "/health", [](http::Request&) -> http::Awaitable<http::Response> {
                          co_return http::Response::json(200, R"({"status":"ok"})");
                      }});

    routes.push_back(
        {"GET", "/ready", [&lifecycle, checks](http::Request&) -> http::Awaitable<http::Response> {
             if (lifecycle.shutting_down.load()) {
                 throw http::HttpError(503, "Shutting down", "SHUTTING_DOWN");
             }
             for (const auto& check : *checks) {
                 if (!co_await check.ready()) {
                     throw http::HttpError(check.status, check.message, check.code);
                 }
             }
             co_return http::Response::json(200, R"({"status":"ready"})");
         }});

    routes.push_back({"GET", "/version",
                      [body = version_body()](http::Request&) -> http::Awaitable<http::Response> {
                          auto response = http::Response::json(200, body);
                          response.headers.set_static(
                              "Cache-Control", "public, max-age=300, stale-while-revalidate=60");
                          co_return response;
                      }});
    return routes;
}

}  // namespace portcullis::routes
