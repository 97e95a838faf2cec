// See ops.hpp.
#include "routes/ops.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "routes/error_catalog.hpp"
#include "routes/operations.hpp"
#include "util/build_info.hpp"
#include "util/json_text.hpp"

namespace portcullis::routes {
namespace {
std::string version_body() {
    std::string body = "{\"version\":";
    util::append_json_string(body, build_info::kVersion);
    body += ",\"gitSha\":";
    util::append_json_string(body, build_info::kGitSha);
    body += ",\"buildTime\":";
    util::append_json_string(body, build_info::kBuildTime);
    body += '}';
    return body;
}

// /ready documents the answers of the checks it was given (Redis only when Redis is used).
std::vector<openapi::ApiError> readiness_errors(const std::vector<ReadinessCheck>& checks) {
    std::vector<openapi::ApiError> out{errors::kShuttingDown};
    for (const auto& check : checks) {
        const auto catalog = errors::catalog();
        const auto entry = std::find_if(catalog.begin(), catalog.end(), [&](const auto& e) {
            return e.code == check.code && e.status == check.status && e.message == check.message;
        });
        if (entry == catalog.end()) {
            throw std::logic_error("readiness check answers " + check.code +
                                   ", which the error catalog does not list");
        }
        out.push_back(*entry);
    }
    return out;
}

std::vector<Documented> ops_operations(const std::vector<ReadinessCheck>& checks) {
    std::vector<Documented> out;
    out.push_back({"GET",
                   "/health",
                   {.operation_id = "getHealth",
                    .tag = "Operational",
                    .summary = "Liveness probe",
                    .description = "200 while the process accepts requests, also during "
                                   "shutdown; checks no dependency.",
                    .successes = {{.status = 200, .description = "Alive.", .schema = "StatusOk"}},
                    .probe = true}});
    out.push_back({"GET",
                   "/ready",
                   {.operation_id = "getReadiness",
                    .tag = "Operational",
                    .summary = "Readiness probe",
                    .description = "Not ready while shutting down, while Postgres does not answer "
                                   "`SELECT 1` within a second, or (with a Redis rate-limit store) "
                                   "while Redis is disconnected.",
                    .successes = {{.status = 200,
                                   .description = "Ready for traffic.",
                                   .schema = "StatusReady"}},
                    .errors = readiness_errors(checks),
                    .probe = true}});
    out.push_back(
        {"GET",
         "/version",
         {.operation_id = "getVersion",
          .tag = "Operational",
          .summary = "Build metadata",
          .description = "Version, git SHA and build time, fixed at build time.",
          .successes = {
              {.status = 200, .description = "Build metadata.", .schema = "VersionResponse"}}}});
    return out;
}
}  // namespace

std::vector<http::Route> ops_routes(const Lifecycle& lifecycle,
                                    std::vector<ReadinessCheck> readiness_checks) {
    auto operations = ops_operations(readiness_checks);
    auto checks = std::make_shared<const std::vector<ReadinessCheck>>(std::move(readiness_checks));
    std::vector<http::Route> routes;

    routes.push_back({"GET", "/health", [](http::Request&) -> http::Awaitable<http::Response> {
                          co_return http::Response::json(200, R"({"status":"ok"})");
                      }});

    routes.push_back(
        {"GET", "/ready", [&lifecycle, checks](http::Request&) -> http::Awaitable<http::Response> {
             if (lifecycle.shutting_down.load()) {
                 co_return errors::to_response(errors::kShuttingDown);
             }
             for (const auto& check : *checks) {
                 if (!co_await check.ready()) {
                     co_return http::Response::error(check.status, check.message, check.code);
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
    return with_operations(std::move(routes), std::move(operations));
}

}  // namespace portcullis::routes
