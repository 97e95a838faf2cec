// Router::match over a table shaped like the real one (ops + auth + protected routes).
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "http/router.hpp"

namespace {
namespace http = portcullis::http;

http::Awaitable<http::Response> unused_handler(http::Request&) {
    co_return http::Response::json(200, "{}");
}

const http::Router& route_table() {
    static const http::Router router = [] {
        struct Entry {
            const char* method;
            const char* pattern;
        };
        const std::vector<Entry> entries = {
            {"GET", "/health"},
            {"GET", "/ready"},
            {"GET", "/version"},
            {"GET", "/metrics"},
            {"GET", "/openapi.json"},
            {"POST", "/auth/register"},
            {"POST", "/auth/login"},
            {"POST", "/auth/refresh"},
            {"POST", "/auth/logout"},
            {"POST", "/auth/verify-email"},
            {"POST", "/auth/request-password-reset"},
            {"POST", "/auth/reset-password"},
            {"GET", "/auth/sessions"},
            {"POST", "/auth/logout-all"},
            {"GET", "/protected/admin/ping"},
            {"GET", "/protected/users/:userId"},
        };
        http::Router r;
        for (const auto& e : entries) r.add(http::Route{e.method, e.pattern, unused_handler});
        return r;
    }();
    return router;
}

void run_match(benchmark::State& state, const char* method, const char* path, bool expect_hit) {
    const auto& router = route_table();
    for (auto _ : state) {
        auto match = router.match(method, path);
        benchmark::DoNotOptimize(match);
        if ((match.route != nullptr) != expect_hit) {
            state.SkipWithError("unexpected match result");
            break;
        }
    }
}

// First entry of the table: the cheapest literal hit.
void BM_RouterMatchLiteralFirst(benchmark::State& state) {
    run_match(state, "GET", "/health", true);
}
BENCHMARK(BM_RouterMatchLiteralFirst);

// A literal route in the middle of the table.
void BM_RouterMatchLiteral(benchmark::State& state) {
    run_match(state, "POST", "/auth/login", true);
}
BENCHMARK(BM_RouterMatchLiteral);

// The last route, with a decoded `:userId` parameter (a UUID).
void BM_RouterMatchParam(benchmark::State& state) {
    run_match(state, "GET", "/protected/users/3f1c2a9e-5b7d-4e21-9c8a-0d6f4b2e7a11", true);
}
BENCHMARK(BM_RouterMatchParam);

// Nothing matches: every route is tried (the 404 path).
void BM_RouterMatchMiss(benchmark::State& state) {
    run_match(state, "GET", "/auth/does-not-exist", false);
}
BENCHMARK(BM_RouterMatchMiss);

}  // namespace
