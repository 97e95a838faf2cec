// Per-response helpers: weak ETags and Accept-Encoding negotiation.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>

#include "http/codec.hpp"
#include "http/middlewares.hpp"

namespace {
namespace http = portcullis::http;

void run_etag(benchmark::State& state, const std::string& body) {
    for (auto _ : state) {
        auto etag = http::weak_etag(body);
        benchmark::DoNotOptimize(etag.data());
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(body.size()));
}

// The /health body (15 bytes).
void BM_WeakEtag15B(benchmark::State& state) {
    run_etag(state, R"({"status":"ok"})");
}
BENCHMARK(BM_WeakEtag15B);

// A 2 KB JSON body (a session list, say).
void BM_WeakEtag2KB(benchmark::State& state) {
    std::string body = "[";
    while (body.size() < 2048 - 80) {
        if (body.size() > 1) body += ',';
        body += R"({"id":"5d2f8c1e-7a3b-4c9d","userAgent":"curl/7.88.1","ip":"127.0.0.1"})";
    }
    body += ']';
    body.resize(2048, ' ');
    run_etag(state, body);
}
BENCHMARK(BM_WeakEtag2KB);

// What Chrome and Firefox send.
void BM_NegotiateCodingBrowser(benchmark::State& state) {
    for (auto _ : state) {
        auto coding = http::negotiate_coding("gzip, deflate, br, zstd");
        benchmark::DoNotOptimize(coding);
    }
}
BENCHMARK(BM_NegotiateCodingBrowser);

// With q-values, as some clients and proxies send.
void BM_NegotiateCodingQValues(benchmark::State& state) {
    for (auto _ : state) {
        auto coding = http::negotiate_coding("br;q=1.0, gzip;q=0.8, *;q=0.1");
        benchmark::DoNotOptimize(coding);
    }
}
BENCHMARK(BM_NegotiateCodingQValues);

}  // namespace
