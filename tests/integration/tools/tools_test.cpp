// The document through a real OpenAPI linter and /docs in a real browser (issue #13): node runs
// @redocly/cli and tests/tools/docs_browser.mjs (puppeteer-core + Debian's chromium) against the
// real binary. Missing node, tools or chromium fail these tests; they never skip.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

#include <sys/wait.h>

#include "harness.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "test_database.hpp"

namespace portcullis::test {
namespace {
using namespace std::chrono_literals;

struct CommandResult {
    int exit_code = -1;
    std::string output;
};

std::string quote(const std::string& text) {
    std::string out = "'";
    for (const char c : text) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

CommandResult run_command(const std::string& command) {
    CommandResult result;
    FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    if (pipe == nullptr) return result;
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

std::string output_path(const std::string& name) {
    std::filesystem::create_directories(PORTCULLIS_TOOLS_OUTPUT);
    return std::string(PORTCULLIS_TOOLS_OUTPUT) + "/" + name;
}

// Lints the document a server with `overrides` serves; errors fail, warnings are printed.
void lint(const std::string& name, const Env& overrides) {
    SCOPED_TRACE(name);
    auto env = base_env();
    for (const auto& [k, v] : overrides) env[k] = v;
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto r = get(server.port(), "/openapi.json");
    ASSERT_EQ(r.status, 200);
    const auto file = output_path("openapi-" + name + ".json");
    std::ofstream(file, std::ios::binary) << r.body;

    const auto result = run_command(
        std::string(PORTCULLIS_NODE) + " " +
        quote(std::string(PORTCULLIS_TEST_TOOLS) + "/node_modules/@redocly/cli/bin/cli.js") +
        " lint --config " + quote(std::string(PORTCULLIS_TOOLS_SOURCE) + "/redocly.yaml") + " " +
        quote(file));
    std::cout << "---- redocly lint (" << name << ") ----\n" << result.output << std::endl;
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("Your API description is valid"), std::string::npos);
}

TEST(OpenApiLint, RedoclyFindsNoErrors) {
    lint("development", {});
}

// Production documents /metrics behind its secret and, with Redis in closed mode, the 503
// RATE_LIMIT_UNAVAILABLE (the limiters need the stack's Redis to answer at all).
TEST(OpenApiLint, RedoclyFindsNoErrorsWithGuardedMetricsAndClosedRateLimits) {
    const std::string redis = require_redis();
    lint("production", {{"APP_ENV", "production"},
                        {"CORS_ORIGINS", "https://app.example"},
                        {"RATE_LIMIT_REDIS_URL", redis},
                        {"RATE_LIMIT_REDIS_FAILURE_MODE", "closed"},
                        {"METRICS_ENABLED", "true"},
                        {"METRICS_GUARD", "secret"},
                        {"METRICS_GUARD_SECRET", "lint-metrics-secret-0123456789"}});
}

TEST(OpenApiLint, RedoclyFindsNoErrorsWithoutRateLimits) {
    lint("no-rate-limit", {{"RATE_LIMIT_ENABLED", "false"}});
}

TEST(DocsBrowser, SwaggerUiShowsEveryOperationAndRegistersAUser) {
    TestDatabase db;
    auto env = base_env();
    env["DATABASE_URL"] = db.url();
    env["AUTH_ARGON2_MEMORY_KIB"] = "8192";
    env["AUTH_ARGON2_ITERATIONS"] = "1";
    ServerProcess server(env, {"serve", "--migrate"});
    ASSERT_TRUE(server.wait_healthy(30s)) << server.output();

    const auto screenshot = output_path("docs-ui.png");
    std::filesystem::remove(screenshot);
    const auto result =
        run_command(std::string(PORTCULLIS_NODE) + " " +
                    quote(std::string(PORTCULLIS_TOOLS_SOURCE) + "/docs_browser.mjs") + " " +
                    quote(PORTCULLIS_TEST_TOOLS) +
                    " http://127.0.0.1:" + std::to_string(server.port()) + " " + quote(screenshot));
    std::cout << "---- docs browser test ----\n" << result.output << std::endl;
    EXPECT_EQ(result.exit_code, 0) << result.output;
    EXPECT_NE(result.output.find("register via \"Try it out\": 201"), std::string::npos);
    ASSERT_TRUE(std::filesystem::exists(screenshot));
    EXPECT_GT(std::filesystem::file_size(screenshot), 50'000U);
    // The user the page registered exists.
    EXPECT_EQ(db.query_scalar(R"(SELECT count(*) FROM "User" WHERE email LIKE 'browser-%')"), "1");
}

}  // namespace
}  // namespace portcullis::test
