// JSON text building on the hot path: string escaping, the error envelope, a request log line.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "http/response.hpp"
#include "observability/logger.hpp"
#include "util/json_text.hpp"

namespace {
namespace obs = portcullis::observability;
namespace http = portcullis::http;

void run_append(benchmark::State& state, std::string_view text) {
    std::string out;
    out.reserve(1024);
    for (auto _ : state) {
        out.clear();
        portcullis::util::append_json_string(out, text);
        benchmark::DoNotOptimize(out.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                            static_cast<std::int64_t>(text.size()));
}

// A short ASCII value: a header or a route.
void BM_AppendJsonStringShort(benchmark::State& state) {
    run_append(state, "/protected/users/:userId");
}
BENCHMARK(BM_AppendJsonStringShort);

// A typical User-Agent, ASCII with spaces, slashes and parentheses.
void BM_AppendJsonStringUserAgent(benchmark::State& state) {
    run_append(state,
               "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
               "Chrome/120.0.0.0 Safari/537.36");
}
BENCHMARK(BM_AppendJsonStringUserAgent);

// Quotes, a backslash, a control character and multi-byte UTF-8: the escaping paths.
void BM_AppendJsonStringEscapes(benchmark::State& state) {
    run_append(state, "He said \"h\xC3\xA9llo\" \\ path C:\\tmp\n\ttab \xE2\x9C\x93 done");
}
BENCHMARK(BM_AppendJsonStringEscapes);

// The contract 3.2 error envelope with a code.
void BM_ResponseErrorEnvelope(benchmark::State& state) {
    for (auto _ : state) {
        auto response =
            http::Response::error(401, "Invalid email or password", "INVALID_CREDENTIALS");
        benchmark::DoNotOptimize(response.body.data());
    }
}
BENCHMARK(BM_ResponseErrorEnvelope);

// Fields of a typical request log line built with LogFields, then framed like pino-http does.
void BM_PinoRequestLine(benchmark::State& state) {
    const obs::Logger logger(obs::Level::info, -1);  // never written to
    for (auto _ : state) {
        obs::LogFields fields;
        fields
            .raw("req",
                 R"({"id":"5d2f8c1e-7a3b-4c9d-8e6f-1a2b3c4d5e6f","method":"GET","url":"/health"})")
            .num("responseTime", static_cast<std::int64_t>(3))
            .str("userAgent", "curl/7.88.1")
            .str("clientIp", "127.0.0.1")
            .num("statusCode", static_cast<std::int64_t>(200))
            .boolean("cached", false);
        std::string line = logger.request_line_prefix(obs::Level::info);
        line += fields.text();
        line += R"(,"msg":"request completed"})";
        benchmark::DoNotOptimize(line.data());
    }
}
BENCHMARK(BM_PinoRequestLine);

}  // namespace
