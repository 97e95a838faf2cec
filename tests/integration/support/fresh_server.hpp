// What the feature tests (MFA, audit, passwords, tokens) share: a database of their own, and a
// server on it started with `serve --migrate` and cheap Argon2 parameters, so registrations and
// logins cost little.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "http_client.hpp"
#include "server_process.hpp"
#include "test_database.hpp"

namespace portcullis::test {

class FreshServer {
protected:
    FreshServer() : db_(std::make_unique<TestDatabase>()) {}

    // base_env() on this test's database with cheap hashing, then `overrides`.
    Env fresh_env(const Env& overrides) const {
        auto env = base_env();
        env["DATABASE_URL"] = db_->url();
        env["AUTH_ARGON2_MEMORY_KIB"] = "8192";
        env["AUTH_ARGON2_ITERATIONS"] = "1";
        for (const auto& [name, value] : overrides) env[name] = value;
        return env;
    }

    // A server on `env`, healthy and past its startup cleanup round (which must not remove rows
    // halfway through a test).
    static std::unique_ptr<ServerProcess> launch(Env env) {
        auto server = std::make_unique<ServerProcess>(
            std::move(env), std::vector<std::string>{"serve", "--migrate"});
        EXPECT_TRUE(server->wait_healthy(std::chrono::seconds(30))) << server->output();
        EXPECT_TRUE(server->wait_startup_cleanup()) << server->output();
        return server;
    }

    // POST of a JSON body, with the caller's access token when there is one.
    static HttpResponse post_as(std::uint16_t port, const std::string& path,
                                const std::string& body, const std::string& access_token,
                                std::vector<std::pair<std::string, std::string>> headers = {}) {
        if (!access_token.empty()) headers.emplace_back("Authorization", "Bearer " + access_token);
        return post_json(port, path, body, std::move(headers));
    }

    std::unique_ptr<TestDatabase> db_;
};

}  // namespace portcullis::test
