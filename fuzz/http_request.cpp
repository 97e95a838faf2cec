// Fuzz target: the HTTP request path end to end, in process. The bytes go through Beast's
// request parser with the server's limits (http/wire.hpp, the functions server.cpp calls), up to
// eight pipelined requests, each through the real middleware chain and routes (auth service on
// in-memory stores), and every response must serialize to valid HTTP/1.1 whose body is the JSON
// error envelope, other valid JSON, or one of the documented non-JSON bodies (/metrics, /docs).
#include <boost/asio/buffer.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "auth/cpu_pool.hpp"
#include "auth/service.hpp"
#include "config/config.hpp"
#include "fuzz_check.hpp"
#include "http/codec.hpp"
#include "http/middlewares.hpp"
#include "http/pipeline.hpp"
#include "http/router.hpp"
#include "http/wire.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "ratelimit/limiter.hpp"
#include "routes/auth_routes.hpp"
#include "routes/metrics.hpp"
#include "routes/openapi_routes.hpp"
#include "routes/ops.hpp"
#include "routes/rate_limits.hpp"
#include "support/memory_stores.hpp"
#include "util/strings.hpp"

namespace {
using namespace portcullis;
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

constexpr int kMaxRequests = 8;
const http::ParseLimits kLimits{16 * 1024, 100, 100 * 1024};

config::Config make_config() {
    config::Config config;
    config.app_env = config::AppEnv::development;
    config.jwt_access_secret = "fuzz-access-secret-0123456789abcdef-01234";
    config.jwt_refresh_secret = "fuzz-refresh-secret-0123456789abcdef-0123";
    return config;
}

// The service graph app.cpp builds, on in-memory stores and a cheap Argon2 setting (libsodium's
// minimum: a hash costs microseconds, so login paths are fuzzed at full speed).
struct Service {
    Service()
        : config(make_config()),
          logger(observability::Level::silent),
          service_metrics(registry),
          cpu(1, 16),
          auth({.lockout = {}, .argon2 = {8, 1}}, stores, stores, stores, cpu,
               config.jwt_access_secret, config.jwt_refresh_secret) {
        auth.set_one_time_tokens(&stores);
        std::vector<routes::ReadinessCheck> readiness;
        readiness.push_back(
            {[]() -> http::Awaitable<bool> { co_return true; }, 503, "Not Ready", "NOT_READY"});
        router.add_all(routes::ops_routes(lifecycle, std::move(readiness)));
        router.add_all(routes::metrics_routes(config, registry, logger));
        router.add_all(routes::auth_routes(auth, {config.production()}));
        router.add_all(routes::protected_routes(auth, {config.production()}));
        router.add_all(routes::openapi_routes(router, config));
        router.add_all(routes::docs_routes(config));
    }

    // The chain of app.cpp's middleware_chain(), with fresh rate limiters per input.
    std::vector<http::Middleware> chain(ratelimit::Limiters& limiters) {
        std::vector<http::Middleware> out;
        out.push_back(http::access_log(logger, routes::log_user(auth)));
        out.push_back(http::metrics(service_metrics.http_metrics(), router));
        out.push_back(http::request_id());
        out.push_back(http::compression({true, 1024}));
        out.push_back(http::conditional_get());
        out.push_back(http::security_headers());
        out.push_back(http::cors({config.production(), config.cors_origins}, logger));
        out.push_back(http::json_body({config.request_body_limit}));
        out.push_back(routes::rate_limits(limiters, ratelimit::LimiterSet::from(config)));
        return out;
    }

    config::Config config;
    observability::Logger logger;
    observability::Registry registry;
    routes::ServiceMetrics service_metrics;
    fuzz::MemoryStores stores;
    auth::CpuPool cpu;
    auth::AuthService auth;
    routes::Lifecycle lifecycle;
    http::Router router;
};

Service& service() {
    static Service instance;
    return instance;
}

// Runs the pipeline for `request` to its end (the CPU pool posts its results back to `io`).
http::Response run(asio::io_context& io, const http::Pipeline& pipeline, http::Request& request) {
    auto future = asio::co_spawn(io, pipeline.run(request), asio::use_future);
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        io.restart();
        if (io.poll() == 0) std::this_thread::yield();
    }
    return future.get();
}

bool is_error_envelope(const boost::json::value& body) {
    const auto* object = body.if_object();
    if (object == nullptr || object->size() != 1) return false;
    const auto* error = object->if_contains("error");
    if (error == nullptr || !error->is_object()) return false;
    const auto& inner = error->get_object();
    const auto* message = inner.if_contains("message");
    if (message == nullptr || !message->is_string()) return false;
    for (const auto& [key, value] : inner) {
        if (key == "code") {
            if (!value.is_string() || value.get_string().empty()) return false;
            for (const char c : value.get_string()) {
                if (!((c >= 'A' && c <= 'Z') || c == '_')) return false;
            }
        } else if (key != "message" && key != "details") {
            return false;
        }
    }
    return true;
}

// The response as the server would write it must be valid HTTP, and its body a documented one.
void check_response(const http::Response& response, bool head_request, std::string_view path) {
    FUZZ_CHECK(response.status >= 100 && response.status <= 599);
    const auto wire = http::serialize_response(
        response, head_request, true, std::chrono::seconds(5), "Thu, 01 Jan 2026 00:00:00 GMT");
    std::string bytes = wire.head + wire.chunk_prefix;
    if (wire.send_body) bytes += response.body;
    bytes += wire.trailer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.skip(head_request);
    parser.eager(true);
    parser.body_limit(16 * 1024 * 1024);
    boost::system::error_code ec;
    const std::size_t used = parser.put(asio::buffer(bytes), ec);
    FUZZ_CHECK(!ec && parser.is_done() && used == bytes.size());
    if (head_request || response.status == 204 || response.status == 304) {
        FUZZ_CHECK(parser.get().body().empty());
        return;
    }
    FUZZ_CHECK(parser.get().body() == response.body);
    if (response.body.empty()) return;

    std::string body = response.body;
    const auto encoding = response.headers.get("Content-Encoding");
    if (!encoding.empty()) {
        const auto coding = http::parse_coding(encoding);
        FUZZ_CHECK(coding.has_value());
        auto inflated = http::decompress(*coding, body, 64 * 1024 * 1024);
        FUZZ_CHECK(inflated.status == http::InflateResult::Status::ok);
        body = std::move(inflated.data);
    }
    const auto type = response.headers.get("Content-Type");
    if (util::istarts_with(type, "application/json")) {
        boost::system::error_code json_ec;
        const auto value = boost::json::parse(body, json_ec);
        FUZZ_CHECK(!json_ec);
        if (response.status >= 400) FUZZ_CHECK(is_error_envelope(value));
        return;
    }
    // The documented bodies that are not JSON: the Prometheus text and the docs UI's files.
    const bool metrics =
        util::istarts_with(path, "/metrics") && util::istarts_with(type, "text/plain");
    const bool docs =
        util::istarts_with(path, "/docs") &&
        (util::istarts_with(type, "text/") || util::istarts_with(type, "application/javascript") ||
         util::istarts_with(type, "image/"));
    FUZZ_CHECK(metrics || docs);
}

// One request parsed from the front of `rest`: false when the connection ends after it.
bool serve_one(asio::io_context& io, const http::Pipeline& pipeline, std::string_view& rest) {
    http::RequestParser parser;
    http::apply_limits(parser, kLimits);
    parser.eager(true);
    boost::system::error_code ec;
    while (!parser.is_done()) {
        if (rest.empty()) {
            parser.put_eof(ec);  // the client half-closed here
            break;
        }
        const std::size_t used = parser.put(asio::buffer(rest.data(), rest.size()), ec);
        rest.remove_prefix(used);
        if (ec == bhttp::error::need_more) {
            ec = {};
            if (used == 0 && !rest.empty()) break;  // cannot happen with eager parsing
            continue;
        }
        if (ec) break;
    }
    const bool body_too_large = ec == bhttp::error::body_limit && parser.is_header_done();
    const bool body_incomplete =
        ec == bhttp::error::partial_message && parser.is_header_done() && !body_too_large;
    if (ec && !body_too_large && !body_incomplete) {
        // What server.cpp answers for a read that failed before the pipeline.
        if (const auto rejection = http::classify_read_error(ec, false)) {
            check_response(http::rejection_response(*rejection), false, "");
        }
        return false;
    }
    if (http::too_many_fields(parser, kLimits)) {
        check_response(http::rejection_response(http::Rejection::headers_too_large), false, "");
        return false;
    }
    const bool keep_alive = parser.get().keep_alive();
    http::Request request =
        http::to_request(parser, {"::ffff:127.0.0.1", 40000}, service().config.trust_proxy,
                         std::chrono::steady_clock::now());
    request.body_too_large = body_too_large;
    request.body_incomplete = body_incomplete;
    const std::string path(request.path);
    const http::Response response = run(io, pipeline, request);
    check_response(response, request.is_head(), path);
    return keep_alive && !body_too_large && !body_incomplete;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Service& svc = service();
    svc.stores.reset();
    ratelimit::Limiters limiters(nullptr, config::RedisFailureMode::local);
    const http::Pipeline pipeline(
        svc.chain(limiters), [&svc](http::Request& r) { return svc.router.dispatch(r); },
        svc.logger);
    asio::io_context io;
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    for (int i = 0; i < kMaxRequests && !rest.empty(); ++i) {
        if (!serve_one(io, pipeline, rest)) break;
    }
    return 0;
}
