// The composition root (design section 4): builds the whole service graph of `serve` from a
// validated Config (stores, limiters, pipeline, server, background jobs), starts it, drains it and
// stops it in one readable sequence. Nothing else constructs a concrete store or wires a module
// to another. Beast, libpq and hiredis stay behind the pimpl.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>

#include "auth/ed25519_key.hpp"
#include "config/config.hpp"
#include "db/dsn.hpp"
#include "redis/settings.hpp"

namespace portcullis::observability {
class Logger;
}

namespace portcullis::app {

// The thread budget of the process: I/O threads and password-hashing threads, from IO_THREADS
// or, when it is 0, from the CPUs the cgroup quota and affinity allow (issue #18, point 9).
struct Threads {
    int io = 1;
    int hashing = 1;
};
Threads plan_threads(const config::Config& config, observability::Logger& logger);

class App {
public:
    // Builds every component; nothing listens and no thread runs yet. `logger` must outlive it.
    App(const config::Config& config, const db::ConnectionSettings& database,
        const std::optional<redis::Settings>& redis, std::vector<auth::Ed25519Key> signing_keys,
        observability::Logger& logger);
    ~App();
    App(const App&) = delete;
    App& operator=(const App&) = delete;

    // Binds the port and starts the I/O threads and background jobs. Throws std::exception when
    // the server cannot start (e.g. the port is taken).
    void start();
    std::uint16_t port() const;

    // Shutdown, in the order of contract 11 and decisions B.16:
    // 1. /ready answers 503 SHUTTING_DOWN from now on, and every response says
    //    `Connection: close` (decisions E.6); the listener stays open.
    void begin_shutdown();
    // 2. (after SHUTDOWN_DELAY_MS) stops accepting and waits for in-flight requests; false when
    //    `deadline` passed first.
    bool drain(std::chrono::steady_clock::time_point deadline);
    // 3. stops the background jobs, the I/O threads, Redis and the database, logging each step.
    void stop();

private:
    struct Graph;
    std::unique_ptr<Graph> graph_;
};

}  // namespace portcullis::app
