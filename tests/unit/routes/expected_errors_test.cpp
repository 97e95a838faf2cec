// Expected failures are answered as values (issue #18, point 8): the handlers and the router give
// back the error response itself, so the pipeline's exception boundary never sees a bad token, a
// locked login, a failed validation, an unknown path, a draining /ready or a refused /metrics.
// Each request here goes straight to Router::dispatch with no boundary around it: a throw fails
// the test.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include <memory>
#include <string>

#include "auth/cpu_pool.hpp"
#include "auth/service.hpp"
#include "config/config.hpp"
#include "http/router.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "routes/auth_routes.hpp"
#include "routes/metrics.hpp"
#include "routes/ops.hpp"
#include "support/unused_ports.hpp"

namespace portcullis {
namespace {
using test::run;

// Every login meets a locked account; nothing else may reach the stores.
struct LockedAccount final : test::UnusedPorts {
    auth::Task<bool> is_locked(std::string_view, std::string_view, auth::TimePoint) override {
        co_return true;
    }
};

class ExpectedErrors : public ::testing::Test {
protected:
    ExpectedErrors()
        : cpu_(1, 4),
          auth_({.lockout = {}, .argon2 = {8192, 1}}, ports_, ports_, ports_, cpu_,
                "access-secret-0123456789abcdef-0123456789",
                "refresh-secret-0123456789abcdef-0123456789"),
          logger_(observability::Level::silent) {
        config_.app_env = config::AppEnv::production;
        config_.metrics_enabled = true;
        config_.metrics_guard = config::MetricsGuard::secret;
        config_.metrics_guard_secret = "scrape-secret";
        std::vector<routes::ReadinessCheck> checks;
        router_.add_all(routes::ops_routes(lifecycle_, std::move(checks)));
        router_.add_all(routes::metrics_routes(config_, registry_, logger_));
        router_.add_all(routes::auth_routes(auth_, {.production = false}));
        router_.add_all(routes::protected_routes(auth_, {.production = false}));
    }

    // The response of one request, taken from the router with no error boundary around it.
    http::Response dispatch(const char* method, std::string path,
                            std::vector<std::pair<const char*, std::string>> headers = {},
                            std::optional<std::string> json = std::nullopt) {
        path_ = std::move(path);
        http::Request request;
        request.method = method;
        request.path = path_;
        request.client_ip = "203.0.113.7";
        for (const auto& [name, value] : headers) request.headers.add(name, value);
        if (json) request.json = std::make_unique<boost::json::value>(boost::json::parse(*json));
        http::Response response;
        EXPECT_NO_THROW(response = run(router_.dispatch(request))) << method << ' ' << path_;
        return response;
    }

    static std::string code_of(const http::Response& response) {
        const auto body = boost::json::parse(response.body).as_object();
        const auto& error = body.at("error").as_object();
        return error.contains("code") ? std::string(error.at("code").as_string()) : "";
    }

    config::Config config_;
    LockedAccount ports_;
    auth::CpuPool cpu_;
    auth::AuthService auth_;
    observability::Logger logger_;
    observability::Registry registry_;
    routes::Lifecycle lifecycle_;
    http::Router router_;
    std::string path_;
};

TEST_F(ExpectedErrors, BearerFailuresAreValues) {
    auto missing = dispatch("GET", "/auth/sessions");
    EXPECT_EQ(missing.status, 401);
    EXPECT_EQ(code_of(missing), "UNAUTHORIZED");
    auto forged =
        dispatch("GET", "/protected/admin/ping", {{"Authorization", "Bearer aaaa.bbbb.cccc"}});
    EXPECT_EQ(forged.status, 401);
    EXPECT_EQ(code_of(forged), "JWT_ACCESS_INVALID");
    auto garbage = dispatch("POST", "/auth/logout-all", {{"Authorization", "Basic x"}});
    EXPECT_EQ(garbage.status, 401);
}

TEST_F(ExpectedErrors, LockedLoginIsAValue) {
    auto locked = dispatch("POST", "/auth/login", {},
                           R"({"email":"a@example.com","password":"Str0ng!Passw0rd"})");
    EXPECT_EQ(locked.status, 429);
    EXPECT_EQ(code_of(locked), "LOGIN_LOCKED");
}

TEST_F(ExpectedErrors, ValidationFailuresAreValues) {
    auto invalid = dispatch("POST", "/auth/register", {}, R"({"email":"nope"})");
    EXPECT_EQ(invalid.status, 400);
    EXPECT_EQ(code_of(invalid), "VALIDATION");
    EXPECT_NE(invalid.body.find("\"details\""), std::string::npos);
    auto no_body = dispatch("POST", "/auth/refresh");
    EXPECT_EQ(no_body.status, 400);
}

TEST_F(ExpectedErrors, RouterMissesAreValues) {
    auto unknown = dispatch("GET", "/wp-login.php");
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(unknown.body, R"({"error":{"message":"Not Found","code":"NOT_FOUND"}})");
    auto undecodable = dispatch("GET", "/protected/users/%E0%A4%A");
    EXPECT_EQ(undecodable.status, 400);
}

TEST_F(ExpectedErrors, ProbeAndGuardAnswersAreValues) {
    lifecycle_.shutting_down = true;
    auto draining = dispatch("GET", "/ready");
    EXPECT_EQ(draining.status, 503);
    EXPECT_EQ(code_of(draining), "SHUTTING_DOWN");
    auto no_secret = dispatch("GET", "/metrics");
    EXPECT_EQ(no_secret.status, 401);
    EXPECT_EQ(code_of(no_secret), "METRICS_GUARD_MISSING");
    auto wrong_secret = dispatch("GET", "/metrics", {{"x-metrics-secret", "guess"}});
    EXPECT_EQ(code_of(wrong_secret), "METRICS_GUARD_INVALID");
}

}  // namespace
}  // namespace portcullis
