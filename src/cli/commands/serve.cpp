// `portcullis serve [--migrate]`: the lifecycle of contract 11 with decisions B.16 around the
// service graph of app::App: validate, optionally migrate, start, wait for a signal, drain, stop.
#include <CLI/CLI.hpp>

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <exception>
#include <memory>
#include <string>
#include <thread>

#include "app/app.hpp"
#include "cli/command_support.hpp"
#include "cli/commands/commands.hpp"
#include "cli/commands/migrate_run.hpp"
#include "observability/logger.hpp"

namespace portcullis::cli {
namespace {
using observability::Level;
using observability::LogFields;
using observability::Logger;

const char* signal_name(int signal) {
    return signal == SIGINT ? "SIGINT" : "SIGTERM";
}

// The logger of the running server, for the last-resort handler below.
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

int serve(bool migrate) {
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
    const auto environment =
        load_environment(config::Scope::everything(), ProblemStyle::json_log, &logger);
    if (!environment) return 1;
    for (const auto& warning : environment->warnings) logger.log(Level::warn, warning);
    const config::Config& config = environment->config;
    if (migrate && !run_migrations(*environment->database, logger)) return 1;

    // Building the graph may fail too (e.g. a password blocklist file that cannot be mapped).
    std::unique_ptr<app::App> built;
    try {
        built = std::make_unique<app::App>(config, *environment->database, environment->redis,
                                           environment->signing_keys, logger);
        built->start();
    } catch (const std::exception& e) {
        logger.log(Level::fatal, "Unhandled error during startup",
                   LogFields().error("Error", e.what()));
        return 1;
    }
    app::App& app = *built;
    logger.log(Level::info, "API server listening",
               LogFields().num("port", static_cast<std::int64_t>(app.port())));

    int received = 0;
    sigwait(&signals, &received);
    app.begin_shutdown();
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
    std::this_thread::sleep_for(config.shutdown_delay);
    if (!app.drain(std::chrono::steady_clock::now() + config.shutdown_timeout)) {
        logger.log(Level::error, "Graceful shutdown timeout exceeded, forcing exit",
                   LogFields()
                       .num("timeoutMs", static_cast<std::int64_t>(config.shutdown_timeout.count()))
                       .str("source", source));
        logger.flush(std::chrono::seconds(1));
        std::_Exit(1);
    }
    app.stop();
    logger.flush_thread_buffer();
    return 0;
}

}  // namespace

void add_serve(CLI::App& app, Runner& chosen) {
    auto migrate = std::make_shared<bool>(false);
    auto* serve_cmd = app.add_subcommand("serve", "Serve the HTTP API on PORT (default 3000)");
    serve_cmd->add_flag("--migrate", *migrate,
                        "Apply pending database migrations first (exit 1 if that fails)");
    serve_cmd->callback([&chosen, migrate] { chosen = [migrate] { return serve(*migrate); }; });
}

}  // namespace portcullis::cli
