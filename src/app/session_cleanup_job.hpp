// The session cleanup job of contract 12 inside `serve`: a round at start (readiness does not
// wait for it), then one every SESSION_CLEANUP_INTERVAL_MINUTES, never two at once, stopped at
// shutdown. With N replicas only the one holding the database's cleanup lock works a round; the
// others skip it silently (db::cleanup_sessions). Each round also applies the retention of the
// account-security tables (AUDIT_RETENTION_DAYS, expired MFA challenges; db::retention).
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>

#include "db/database.hpp"
#include "db/retention.hpp"
#include "db/session_cleanup.hpp"
#include "util/background_loop.hpp"

namespace portcullis::observability {
class Logger;
class CounterFamily;
class GaugeFamily;
}  // namespace portcullis::observability

namespace portcullis::app {

struct SessionCleanupJobOptions {
    std::chrono::milliseconds interval{60 * 60 * 1000};
    db::SessionCleanupOptions cleanup;
    // After the sessions, each round prunes old audit events and expired MFA challenges
    // (issue #16) under a lock of its own.
    db::RetentionOptions retention;
};

class SessionCleanupJob {
public:
    // Everything passed in must outlive the job.
    SessionCleanupJob(SessionCleanupJobOptions options, const db::Database& database,
                      observability::Logger& logger, observability::CounterFamily& removed,
                      observability::GaugeFamily& last_success);
    SessionCleanupJob(const SessionCleanupJob&) = delete;
    SessionCleanupJob& operator=(const SessionCleanupJob&) = delete;

    // Called on each I/O thread after its pool is attached: the first call starts the loop on
    // that thread; later calls do nothing.
    void attach(boost::asio::io_context& io);

    // Ends the loop after the batch in flight (at most `timeout`), from any thread but the loop's.
    void stop(std::chrono::milliseconds timeout);

private:
    boost::asio::awaitable<void> run();
    boost::asio::awaitable<void> round();
    boost::asio::awaitable<void> retention_round();

    SessionCleanupJobOptions options_;
    const db::Database& database_;
    observability::Logger& logger_;
    observability::CounterFamily& removed_;
    observability::GaugeFamily& last_success_;
    util::BackgroundLoop loop_;
};

}  // namespace portcullis::app
