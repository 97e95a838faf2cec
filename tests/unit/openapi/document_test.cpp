// The OpenAPI document (contract 15, issue #13): the builder's rules, and Portcullis' real route
// tables walked against the document both ways, with every documented error checked against the
// error catalog and the envelope the pipeline writes.
#include "openapi/document.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>
#include <set>
#include <stdexcept>

#include "auth/cpu_pool.hpp"
#include "auth/service.hpp"
#include "auth/validation.hpp"
#include "config/config.hpp"
#include "db/result.hpp"
#include "http/response.hpp"
#include "http/router.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "routes/auth_routes.hpp"
#include "routes/error_catalog.hpp"
#include "routes/metrics.hpp"
#include "routes/openapi_routes.hpp"
#include "routes/ops.hpp"
#include "support/unused_ports.hpp"

namespace portcullis {
namespace {

using test::run;
using test::UnusedPorts;

std::string lower(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

// Every route table main.cpp serves, in its order, for one configuration.
class Service {
public:
    explicit Service(config::Config config)
        : config_(std::move(config)),
          cpu_(1, 4),
          auth_({.lockout = {}, .argon2 = {8192, 1}}, ports_, ports_, ports_, cpu_,
                "access-secret-0123456789abcdef-0123456789",
                "refresh-secret-0123456789abcdef-0123456789"),
          logger_(observability::Level::fatal) {
        std::vector<routes::ReadinessCheck> checks;
        checks.push_back({{}, 503, "Not Ready", "NOT_READY"});
        if (config_.redis_in_use())
            checks.push_back({{}, 503, "Redis not ready", "REDIS_NOT_READY"});
        router_.add_all(routes::ops_routes(lifecycle_, std::move(checks)));
        router_.add_all(routes::metrics_routes(config_, registry_, logger_));
        const routes::AuthRoutesOptions options{config_.production()};
        router_.add_all(routes::auth_routes(auth_, options));
        router_.add_all(routes::protected_routes(auth_, options));
        router_.add_all(routes::openapi_routes(router_, config_));
        router_.add_all(routes::docs_routes(config_));
    }

    const http::Router& router() const { return router_; }

    // GET /openapi.json through its handler.
    boost::json::object document() const {
        http::Request request;
        request.method = "GET";
        request.path = "/openapi.json";
        const auto match = router_.match("GET", "/openapi.json");
        EXPECT_NE(match.route, nullptr);
        const auto response = run(match.route->handler(request));
        EXPECT_EQ(response.status, 200);
        EXPECT_EQ(response.headers.get("Cache-Control"),
                  "public, max-age=300, stale-while-revalidate=60");
        return boost::json::parse(response.body).as_object();
    }

private:
    config::Config config_;
    UnusedPorts ports_;
    auth::CpuPool cpu_;
    auth::AuthService auth_;
    observability::Logger logger_;
    observability::Registry registry_;
    routes::Lifecycle lifecycle_;
    http::Router router_;
};

config::Config development() {
    return {};
}

config::Config production() {
    config::Config config;
    config.app_env = config::AppEnv::production;
    return config;
}

// `{userId}` → a sample value the router accepts.
std::string concrete(const std::string& path) {
    std::string out = path;
    const auto open = out.find('{');
    if (open != std::string::npos) {
        out.replace(open, out.find('}') - open + 1, "3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f");
    }
    return out;
}

const openapi::ApiError* catalog_entry(std::string_view code) {
    for (const auto& entry : routes::errors::catalog()) {
        if (entry.code == code) return &entry;
    }
    return nullptr;
}

TEST(OpenApiDocument, EveryRouteIsDocumentedAndEveryDocumentedOperationIsServed) {
    for (const auto& config : {development(), production()}) {
        const Service service(config);
        const auto document = service.document();
        const auto& paths = document.at("paths").as_object();

        std::set<std::string> routed;
        for (const http::Route* route : service.router().routes()) {
            // The docs UI's files are served for people, not part of the API.
            if (route->pattern.starts_with("/docs")) continue;
            const auto path = openapi::openapi_path(route->pattern);
            routed.insert(lower(route->method) + " " + path);
            ASSERT_TRUE(paths.contains(path)) << path;
            const auto* operation = paths.at(path).as_object().if_contains(lower(route->method));
            ASSERT_NE(operation, nullptr) << route->method << " " << path;
            ASSERT_NE(route->operation, nullptr);
            EXPECT_EQ(operation->at("operationId").as_string(), route->operation->operation_id);
        }

        std::set<std::string> documented;
        for (const auto& [path, item] : paths) {
            for (const auto& [method, operation] : item.as_object()) {
                documented.insert(std::string(method) + " " + std::string(path));
                const auto match = service.router().match(
                    std::string(method) == "get" ? "GET" : "POST", concrete(std::string(path)));
                ASSERT_NE(match.route, nullptr) << method << " " << path;
                EXPECT_EQ(openapi::openapi_path(match.route->pattern), path);
            }
        }
        EXPECT_EQ(routed, documented);
        EXPECT_GE(documented.size(), 16U);
    }
}

TEST(OpenApiDocument, OnlyServedRoutesAppear) {
    const auto dev = Service(development()).document();
    EXPECT_TRUE(dev.at("paths").as_object().contains("/metrics"));
    // Production without METRICS_ENABLED serves no /metrics (contract 9.3), nor /docs.
    const Service prod(production());
    EXPECT_FALSE(prod.document().at("paths").as_object().contains("/metrics"));
    EXPECT_EQ(prod.router().match("GET", "/docs/").route, nullptr);
    EXPECT_NE(prod.router().match("GET", "/openapi.json").route, nullptr);
    auto with_metrics = production();
    with_metrics.metrics_enabled = true;
    with_metrics.metrics_guard = config::MetricsGuard::secret;
    const auto metrics = Service(with_metrics).document().at("paths").at("/metrics").at("get");
    EXPECT_EQ(boost::json::serialize(metrics.at("security")), R"([{"MetricsSecret":[]}])");
    EXPECT_TRUE(metrics.at("responses").as_object().contains("401"));
}

TEST(OpenApiDocument, EveryDocumentedErrorIsInTheCatalogWithTheEnvelopeTheServerWrites) {
    const auto document = Service(development()).document();
    std::size_t checked = 0;
    for (const auto& [path, item] : document.at("paths").as_object()) {
        for (const auto& [method, operation] : item.as_object()) {
            for (const auto& [status, response] : operation.at("responses").as_object()) {
                if (status.starts_with("2")) continue;
                const auto& examples =
                    response.at("content").at("application/json").at("examples").as_object();
                ASSERT_FALSE(examples.empty()) << path << " " << status;
                for (const auto& [code, example] : examples) {
                    const auto* entry = catalog_entry(code);
                    ASSERT_NE(entry, nullptr) << code << " on " << method << " " << path;
                    EXPECT_EQ(std::to_string(entry->status), std::string(status)) << code;
                    auto value = example.at("value");
                    auto& error = value.at("error").as_object();
                    const bool has_details = error.erase("details") > 0;
                    EXPECT_EQ(has_details, code == "VALIDATION") << code << " " << path;
                    // What http::Response::error writes for this entry.
                    const auto written =
                        http::Response::error(entry->status, entry->message, entry->code);
                    EXPECT_EQ(value, boost::json::parse(written.body)) << code;
                    ++checked;
                }
            }
        }
    }
    EXPECT_GT(checked, 40U);
}

TEST(OpenApiDocument, ValidationExamplesComeFromTheSchemaTheHandlerUses) {
    const auto document = Service(development()).document();
    const auto details = [&](const char* path, const char* method) {
        return document.at("paths")
            .at(path)
            .at(method)
            .at("responses")
            .at("400")
            .at("content")
            .at("application/json")
            .at("examples")
            .at("VALIDATION")
            .at("value")
            .at("error")
            .at("details");
    };
    const boost::json::value empty = boost::json::object{};
    const auto expect_same = [&](const char* path, const auto& validated) {
        const auto* failure = std::get_if<auth::ValidationFailure>(&validated);
        ASSERT_NE(failure, nullptr) << path;
        EXPECT_EQ(details(path, "post"), boost::json::parse(failure->details_json)) << path;
    };
    expect_same("/auth/register", auth::validate_register(&empty));
    expect_same("/auth/login", auth::validate_login(&empty));
    expect_same("/auth/refresh", auth::validate_token_field(&empty, "refreshToken"));
    expect_same("/auth/verify-email", auth::validate_token_field(&empty, "token"));
    expect_same("/auth/reset-password", auth::validate_reset(&empty));
    expect_same("/auth/resend-verification", auth::validate_email_only(&empty));
    const auto user = auth::validate_user_id("not-a-uuid");
    ASSERT_TRUE(user.has_value());
    EXPECT_EQ(details("/protected/users/{userId}", "get"), boost::json::parse(user->details_json));
}

TEST(OpenApiDocument, RequestBodiesAreTheValidationSchemas) {
    const auto document = Service(development()).document();
    const auto body = [&](const char* path) {
        return document.at("paths")
            .at(path)
            .at("post")
            .at("requestBody")
            .at("content")
            .at("application/json")
            .at("schema");
    };
    EXPECT_EQ(body("/auth/register"), schema::to_json_schema(auth::register_schema()));
    EXPECT_EQ(body("/auth/reset-password"), schema::to_json_schema(auth::reset_password_schema()));
    const auto register_body = body("/auth/register");
    const auto& password = register_body.at("properties").at("password");
    EXPECT_EQ(password.at("minLength"), 8);
    // Contract 15 note: without the reference's stray `/u`.
    EXPECT_EQ(password.at("pattern"), "^(?=.*[a-z])(?=.*[A-Z])(?=.*\\d)(?=.*[^A-Za-z0-9]).{8,}$");
    EXPECT_EQ(body("/auth/login").at("properties").at("email").at("format"), "email");
    EXPECT_EQ(body("/auth/refresh").at("properties").at("refreshToken").at("minLength"), 20);
}

TEST(OpenApiDocument, AValidationRuleChangedInASchemaChangesTheDocument) {
    auto copy = auth::register_schema();
    const openapi::Operation before{.operation_id = "op",
                                    .tag = "Auth",
                                    .summary = "s",
                                    .request_body = &copy,
                                    .successes = {{.status = 204, .description = "d"}},
                                    .errors = {routes::errors::kValidation}};
    const auto document_before = openapi::build_document({{"POST", "/x", &before}}, {});
    copy.properties[1].schema.rules[0] = schema::min_length(12, "longer");
    copy.properties.push_back({"name", {{schema::min_length(1)}, {}, {}}});
    const auto document_after = openapi::build_document({{"POST", "/x", &before}}, {});
    EXPECT_NE(document_before, document_after);
    const auto after = boost::json::parse(document_after);
    const auto& operation = after.at("paths").at("/x").at("post");
    const auto& schema =
        operation.at("requestBody").at("content").at("application/json").at("schema");
    EXPECT_EQ(schema.at("properties").at("password").at("minLength"), 12);
    EXPECT_EQ(boost::json::serialize(schema.at("required")), R"(["email","password","name"])");
    const auto details = operation.at("responses")
                             .at("400")
                             .at("content")
                             .at("application/json")
                             .at("examples")
                             .at("VALIDATION")
                             .at("value")
                             .at("error")
                             .at("details")
                             .as_array();
    EXPECT_EQ(details.size(), 3U);
}

TEST(OpenApiDocument, RateLimitResponsesFollowTheConfiguration) {
    const auto document = Service(development()).document();
    for (const auto& [path, item] : document.at("paths").as_object()) {
        for (const auto& [method, operation] : item.as_object()) {
            const auto& limited = operation.at("responses").at("429");
            EXPECT_TRUE(limited.at("headers").as_object().contains("Retry-After")) << path;
            EXPECT_TRUE(limited.at("headers").as_object().contains("RateLimit-Remaining"));
            EXPECT_FALSE(operation.at("responses").as_object().contains("503") &&
                         path == "/health");
        }
    }
    auto off = development();
    off.rate_limit_enabled = false;
    const auto health = Service(off).document().at("paths").at("/health").at("get");
    EXPECT_FALSE(health.at("responses").as_object().contains("429"));

    // Closed failure mode with Redis: every route but the probes may answer 503.
    auto closed = development();
    closed.rate_limit_redis_url = "redis://127.0.0.1:6399/0";
    closed.rate_limit_redis_failure_mode = config::RedisFailureMode::closed;
    const auto closed_doc = Service(closed).document();
    const auto examples_503 = [&](const char* path) {
        const auto* response = closed_doc.at("paths")
                                   .at(path)
                                   .at("get")
                                   .at("responses")
                                   .as_object()
                                   .if_contains("503");
        return response == nullptr
                   ? std::string()
                   : boost::json::serialize(
                         response->at("content").at("application/json").at("examples"));
    };
    EXPECT_NE(examples_503("/auth/sessions").find("RATE_LIMIT_UNAVAILABLE"), std::string::npos);
    EXPECT_EQ(examples_503("/health").find("RATE_LIMIT_UNAVAILABLE"), std::string::npos);
    EXPECT_NE(examples_503("/ready").find("REDIS_NOT_READY"), std::string::npos);
    EXPECT_EQ(examples_503("/ready").find("RATE_LIMIT_UNAVAILABLE"), std::string::npos);
}

TEST(OpenApiDocument, FixedParts) {
    const auto document = Service(development()).document();
    EXPECT_EQ(document.at("openapi"), "3.1.0");
    EXPECT_EQ(document.at("info").at("title"), "Starter Express Prisma JWT");
    EXPECT_EQ(document.at("info").at("version"), "1.0.0");
    EXPECT_EQ(
        boost::json::serialize(document.at("servers")),
        R"([{"url":"/","description":"Default base path (v1)."},)"
        R"({"url":"/v1","description":"Recommended reverse-proxy mount for stable clients."}])");
    EXPECT_EQ(boost::json::serialize(document.at("x-tagGroups")),
              R"([{"name":"Platform","tags":["Operational","Metrics"]},)"
              R"({"name":"Identity","tags":["Auth","Sessions","RBAC"]}])");
    EXPECT_TRUE(document.at("webhooks").as_object().empty());
    const auto& schemes = document.at("components").at("securitySchemes").as_object();
    EXPECT_EQ(schemes.at("BearerAuth").at("bearerFormat"), "JWT");
    const auto& schemas = document.at("components").at("schemas").as_object();
    for (const char* name :
         {"Error", "ErrorResponse", "StatusOk", "StatusReady", "VersionResponse", "TokenPair",
          "RegisterResponse", "AcceptedResponse", "Role", "SessionSummary", "SessionsResponse",
          "UserSummary", "ProtectedUserResponse", "PrometheusMetrics"}) {
        EXPECT_TRUE(schemas.contains(name)) << name;
    }
    const std::set<std::string> expected_ids{"getHealth",          "getReadiness",
                                             "getVersion",         "getMetrics",
                                             "registerUser",       "loginUser",
                                             "refreshTokens",      "logoutSession",
                                             "verifyEmail",        "requestPasswordReset",
                                             "resendVerification", "resetPassword",
                                             "listSessions",       "logoutAllSessions",
                                             "adminPing",          "getProtectedUser",
                                             "getOpenApiDocument"};
    std::set<std::string> ids;
    for (const auto& [path, item] : document.at("paths").as_object()) {
        for (const auto& [method, operation] : item.as_object()) {
            ids.insert(std::string(operation.at("operationId").as_string()));
        }
    }
    EXPECT_EQ(ids, expected_ids);
}

TEST(OpenApiBuilder, RefusesRoutesItCannotDocument) {
    const openapi::Operation op{.operation_id = "a",
                                .tag = "T",
                                .summary = "s",
                                .successes = {{.status = 200, .description = "d"}}};
    auto other = op;
    other.operation_id = "b";
    EXPECT_THROW(openapi::build_document({{"GET", "/x", nullptr}}, {}), std::invalid_argument);
    EXPECT_THROW(openapi::build_document({{"GET", "/x", &op}, {"GET", "/x", &other}}, {}),
                 std::invalid_argument);
    EXPECT_THROW(openapi::build_document({{"GET", "/x", &op}, {"GET", "/y", &op}}, {}),
                 std::invalid_argument);
    auto silent = op;
    silent.successes.clear();
    EXPECT_THROW(openapi::build_document({{"GET", "/x", &silent}}, {}), std::invalid_argument);
    EXPECT_NO_THROW(openapi::build_document({{"GET", "/x", &op}, {"POST", "/x", &other}}, {}));
}

TEST(OpenApiBuilder, PathTemplates) {
    EXPECT_EQ(openapi::openapi_path("/protected/users/:userId"), "/protected/users/{userId}");
    EXPECT_EQ(openapi::openapi_path("/a/:b/c/:d"), "/a/{b}/c/{d}");
    EXPECT_EQ(openapi::openapi_path("/health"), "/health");
}

TEST(ErrorCatalog, CodesAreUniqueAndOtherModulesAnswerWithTheSameText) {
    std::set<std::string_view> codes;
    for (const auto& entry : routes::errors::catalog()) {
        EXPECT_TRUE(codes.insert(entry.code).second) << entry.code;
    }
    const db::DatabaseUnavailable database("detail");
    EXPECT_EQ(database.code(), routes::errors::kDatabaseUnavailable.code);
    EXPECT_EQ(database.public_message(), routes::errors::kDatabaseUnavailable.message);
    const auth::Overloaded overloaded;
    EXPECT_EQ(overloaded.code(), routes::errors::kOverloaded.code);
    EXPECT_EQ(overloaded.public_message(), routes::errors::kOverloaded.message);
    // The connection caps' 503 (issue #19).
    EXPECT_EQ(http::errors::kOverloaded.status, routes::errors::kOverloaded.status);
    EXPECT_EQ(http::errors::kOverloaded.code, routes::errors::kOverloaded.code);
    EXPECT_EQ(http::errors::kOverloaded.message, routes::errors::kOverloaded.message);
}

TEST(OpenApiDocument, HttpLayerErrorsAreDocumented) {
    // Decisions E.1: every operation lists what the HTTP layer may answer before it runs, and
    // operations with a body what the body parser may answer.
    const auto document = Service(development()).document();
    const auto codes_of = [](const boost::json::value& operation) {
        std::set<std::string> codes;
        for (const auto& [status, response] : operation.at("responses").as_object()) {
            if (status.starts_with("2")) continue;
            for (const auto& [code, example] :
                 response.at("content").at("application/json").at("examples").as_object()) {
                codes.insert(std::string(code));
            }
        }
        return codes;
    };
    const auto health = codes_of(document.at("paths").at("/health").at("get"));
    const auto login = codes_of(document.at("paths").at("/auth/login").at("post"));
    for (const char* code : {"BAD_REQUEST", "REQUEST_TIMEOUT", "HEADERS_TOO_LARGE"}) {
        EXPECT_EQ(health.count(code), 1U) << code;
        EXPECT_EQ(login.count(code), 1U) << code;
    }
    for (const char* code :
         {"INVALID_JSON", "JSON_TOO_DEEP", "PAYLOAD_TOO_LARGE", "UNSUPPORTED_MEDIA_TYPE"}) {
        EXPECT_EQ(health.count(code), 0U) << code;
        EXPECT_EQ(login.count(code), 1U) << code;
    }
    const std::string description(document.at("info").at("description").as_string());
    EXPECT_NE(description.find("404 `NOT_FOUND`"), std::string::npos);
    EXPECT_NE(description.find("503 `OVERLOADED`"), std::string::npos);
}

}  // namespace
}  // namespace portcullis
