// The document through a real OpenAPI linter and /docs in a real browser (issue #13): node runs
// @redocly/cli and tests/tools/docs_browser.mjs (puppeteer-core + Debian's chromium) against the
// real binary. Missing node, tools or chromium fail these tests; they never skip.
#include <gtest/gtest.h>

#include <algorithm>
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
    // A closed-mode limiter refuses requests until every I/O thread has its Redis connection
    // (/health does not wait on Redis).
    if (overrides.contains("RATE_LIMIT_REDIS_URL")) {
        ASSERT_TRUE(server.wait_for_line(
            [](const boost::json::value& line) {
                return json_string_at(line, {"msg"}) == "Rate limit store connected";
            },
            10s))
            << server.output();
    }
    const auto r = get(server.port(), "/openapi.json");
    ASSERT_EQ(r.status, 200) << r.body;
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

// Issue #15: EdDSA access tokens verify in an independent implementation (`jose`) against the
// service's own JWKS, also across a key rotation; the set never carries private material.
TEST(JwksVerifier, EdDsaAccessTokensVerifyWithJose) {
    TestDatabase db;
    const std::string keys = output_path("jwks-keys");
    std::filesystem::remove_all(keys);
    const auto generated = portcullis::test::run_command({}, {"keys", "generate", "--dir", keys});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
    auto env = base_env();
    env["DATABASE_URL"] = db.url();
    env["AUTH_ARGON2_MEMORY_KIB"] = "8192";
    env["AUTH_ARGON2_ITERATIONS"] = "1";
    env["JWT_ACCESS_ALGORITHM"] = "EdDSA";
    env["JWT_SIGNING_KEYS_DIR"] = keys;
    const auto verify = [](std::uint16_t port, const std::vector<std::string>& tokens) {
        std::string command = std::string(PORTCULLIS_NODE) + " " +
                              quote(std::string(PORTCULLIS_TOOLS_SOURCE) + "/jwks_verify.mjs") +
                              " " + quote(PORTCULLIS_TEST_TOOLS) +
                              " http://127.0.0.1:" + std::to_string(port);
        for (const auto& token : tokens) command += " " + quote(token);
        return run_command(command);
    };
    const auto access_of = [](const HttpResponse& r) {
        const auto at = r.body.find(R"("accessToken":")");
        if (at == std::string::npos) return std::string();
        const auto start = at + 15;
        return r.body.substr(start, r.body.find('"', start) - start);
    };

    std::string first_token;
    {
        ServerProcess server(env, {"serve", "--migrate"});
        ASSERT_TRUE(server.wait_healthy(30s)) << server.output();
        const auto registered =
            post_json(server.port(), "/auth/register",
                      R"({"email":"jose@example.com","password":"Str0ng!Passw0rd"})");
        ASSERT_EQ(registered.status, 201) << registered.body;
        first_token = access_of(registered);
        const auto verified = verify(server.port(), {first_token});
        std::cout << verified.output << std::endl;
        EXPECT_EQ(verified.exit_code, 0) << verified.output;
        EXPECT_NE(verified.output.find(R"("alg":"EdDSA")"), std::string::npos);
        EXPECT_EQ(get(server.port(), "/auth/sessions", {{"Authorization", "Bearer " + first_token}})
                      .status,
                  200);
    }
    // A second key signs from the next start; the first one's tokens keep verifying.
    ASSERT_EQ(portcullis::test::run_command({}, {"keys", "generate", "--dir", keys}).exit_code, 0);
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy(30s)) << server.output();
    const auto jwks = get(server.port(), "/.well-known/jwks.json");
    ASSERT_EQ(jwks.status, 200);
    EXPECT_EQ(std::count(jwks.body.begin(), jwks.body.end(), '{'), 3) << jwks.body;  // set + 2 keys
    EXPECT_EQ(jwks.body.find(R"("d")"), std::string::npos);
    const auto login = post_json(server.port(), "/auth/login",
                                 R"({"email":"jose@example.com","password":"Str0ng!Passw0rd"})");
    ASSERT_EQ(login.status, 200) << login.body;
    const std::string second_token = access_of(login);
    EXPECT_NE(second_token.substr(0, second_token.find('.')),
              first_token.substr(0, first_token.find('.')));  // another kid
    const auto both = verify(server.port(), {first_token, second_token});
    EXPECT_EQ(both.exit_code, 0) << both.output;
    EXPECT_EQ(
        get(server.port(), "/auth/sessions", {{"Authorization", "Bearer " + first_token}}).status,
        200);
}

}  // namespace
}  // namespace portcullis::test
