// The composition root (design section 4): builds the Config, the logger, the pipeline and the
// server, and runs the lifecycle of contract section 11 with decisions B.16.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>

#include "cli/cli.hpp"
#include "config/config.hpp"
#include "http/middlewares.hpp"
#include "http/pipeline.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "observability/json_text.hpp"
#include "observability/logger.hpp"
#include "routes/ops.hpp"
#include "util/build_info.hpp"

namespace {
using portcullis::observability::Level;
using portcullis::observability::LogFields;
using portcullis::observability::Logger;

std::string problems_json(const portcullis::config::Problems& problems) {
    using portcullis::observability::append_json_string;
    std::string out = "{";
    bool first = true;
    for (const auto& [key, messages] : problems) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, key);
        out += ":[";
        for (std::size_t i = 0; i < messages.size(); ++i) {
            if (i > 0) out += ',';
            append_json_string(out, messages[i]);
        }
        out += ']';
    }
    out += '}';
    return out;
}

const char* signal_name(int signal) {
    return signal == SIGINT ? "SIGINT" : "SIGTERM";
}

// The logger of the running command, for the last-resort handler below.
Logger* g_fatal_logger = nullptr;

// An exception nothing caught (contract 11: `Uncaught exception`, exit 1): log it, then stop.
[[noreturn]] void on_terminate() {
    if (g_fatal_logger != nullptr) {
        std::string what = "unknown";
        if (auto current = std::current_exception()) {
            try {
                std::rethrow_exception(current);
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
            }
        }
        g_fatal_logger->log(Level::fatal, "Uncaught exception", LogFields().error("Error", what));
        g_fatal_logger->flush_thread_buffer();
    }
    std::_Exit(1);
}

// Loads and validates the configuration; on failure logs the one fatal line of decisions B.1.
std::optional<portcullis::config::Config> load_or_report(Logger& logger) {
    auto result = portcullis::config::load_config(portcullis::config::read_environment(".env"));
    if (!result.config) {
        logger.log(Level::fatal, "Invalid configuration",
                   LogFields().raw("errors", problems_json(result.problems)));
        return std::nullopt;
    }
    logger.set_level(static_cast<Level>(static_cast<int>(result.config->log_level)));
    for (const auto& warning : result.warnings) logger.log(Level::warn, warning);
    return std::move(result.config);
}

int serve(const portcullis::cli::ServeArgs&) {
    // Signals are taken synchronously by this thread; every thread started later inherits the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    Logger logger(Level::info);
    g_fatal_logger = &logger;
    std::set_terminate(on_terminate);
    const auto config = load_or_report(logger);
    if (!config) return 1;

    namespace http = portcullis::http;
    portcullis::routes::Lifecycle lifecycle;
    http::Router router;
    router.add_all(portcullis::routes::ops_routes(lifecycle, {}));

    std::vector<http::Middleware> chain;
    // The access log wraps the request-id stage so its line shows the echoed x-request-id.
    chain.push_back(http::access_log(logger));
    chain.push_back(http::request_id());
    chain.push_back(http::compression(
        {config->response_compression_enabled, config->response_compression_min_bytes}));
    chain.push_back(http::conditional_get());
    chain.push_back(http::security_headers());
    chain.push_back(http::cors({config->production(), config->cors_origins}, logger));
    chain.push_back(http::json_body({config->request_body_limit}));
    const http::Pipeline pipeline(
        std::move(chain), [&router](http::Request& r) { return router.dispatch(r); }, logger);

    http::ServerOptions options;
    options.port = config->port;
    options.threads = config->io_threads;
    // The parser admits what inflation may still reject: JSON bodies are re-checked after it.
    options.body_limit = config->request_body_limit;
    options.request_timeout = config->http_request_timeout;
    options.headers_timeout = config->http_headers_timeout;
    options.keepalive_timeout = config->http_keepalive_timeout;
    options.trust_proxy = config->trust_proxy;
    http::Server server(options, pipeline, logger);
    try {
        server.start();
    } catch (const std::exception& e) {
        logger.log(Level::fatal, "Unhandled error during startup",
                   LogFields().error("Error", e.what()));
        return 1;
    }
    logger.log(Level::info, "API server listening",
               LogFields().num("port", static_cast<std::int64_t>(server.port())));

    int received = 0;
    sigwait(&signals, &received);
    lifecycle.shutting_down = true;
    const std::string source = signal_name(received);
    logger.log(Level::info, "Received signal, beginning graceful shutdown",
               LogFields().str("signal", source));

    std::thread([&logger, signals] {
        for (;;) {
            int again = 0;
            if (sigwait(&signals, &again) != 0) return;
            logger.log(Level::warn, "Shutdown already in progress",
                       LogFields().str("source", signal_name(again)));
        }
    }).detach();

    // Keep accepting while load balancers notice the 503 on /ready (decisions B.16).
    std::this_thread::sleep_for(config->shutdown_delay);
    server.stop_accepting();
    const auto deadline = std::chrono::steady_clock::now() + config->shutdown_timeout;
    if (!server.wait_until_idle(deadline)) {
        logger.log(
            Level::error, "Graceful shutdown timeout exceeded, forcing exit",
            LogFields()
                .num("timeoutMs", static_cast<std::int64_t>(config->shutdown_timeout.count()))
                .str("source", source));
        logger.flush_thread_buffer();
        std::_Exit(1);
    }
    server.stop();
    logger.log(Level::info, "HTTP server closed");
    logger.flush_thread_buffer();
    return 0;
}

int version() {
    std::printf("%s (%s, built %s)\n", portcullis::build_info::kVersion,
                portcullis::build_info::kGitSha, portcullis::build_info::kBuildTime);
    return 0;
}
}  // namespace

int main(int argc, char** argv) {
    return portcullis::cli::run(argc, argv, {.serve = serve, .version = version});
}
