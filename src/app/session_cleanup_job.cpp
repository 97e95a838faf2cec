// See session_cleanup_job.hpp.
#include "app/session_cleanup_job.hpp"

#include <exception>
#include <string>

#include "observability/logger.hpp"
#include "observability/metrics.hpp"

namespace portcullis::app {
using observability::Level;
using observability::LogFields;

SessionCleanupJob::SessionCleanupJob(SessionCleanupJobOptions options, const db::Database& database,
                                     observability::Logger& logger,
                                     observability::CounterFamily& removed,
                                     observability::GaugeFamily& last_success)
    : options_(options),
      database_(database),
      logger_(logger),
      removed_(removed),
      last_success_(last_success) {}

void SessionCleanupJob::attach(boost::asio::io_context& io) {
    loop_.attach(io, [this] { return run(); });
}

void SessionCleanupJob::stop(std::chrono::milliseconds timeout) {
    loop_.stop(timeout);
}

// One coroutine runs the rounds one after another, so a round can never overlap the next.
boost::asio::awaitable<void> SessionCleanupJob::run() {
    while (!loop_.stopping()) {
        co_await round();
        if (loop_.stopping()) break;
        co_await retention_round();
        co_await loop_.pause(options_.interval);
    }
}

boost::asio::awaitable<void> SessionCleanupJob::round() {
    std::string error;
    try {
        const auto now = std::chrono::system_clock::now();
        const auto result = co_await db::cleanup_sessions(database_.local(), options_.cleanup, now,
                                                          &loop_.stop_flag());
        if (!result.ran) co_return;  // another replica holds the round
        if (result.removed > 0) {
            removed_.local().inc(static_cast<double>(result.removed));
            logger_.log(Level::info, "[sessionCleanup] removed " + std::to_string(result.removed) +
                                         " expired/invalid session(s)");
        }
        const std::chrono::duration<double> since_epoch =
            std::chrono::system_clock::now().time_since_epoch();
        last_success_.local().set(since_epoch.count());
    } catch (const std::exception& e) {
        error = e.what();
    }
    if (!error.empty()) {
        logger_.log(Level::error, "[sessionCleanup] cleanup failed",
                    LogFields().error("Error", error));
    }
}

boost::asio::awaitable<void> SessionCleanupJob::retention_round() {
    std::string error;
    try {
        const auto result = co_await db::prune_account_security(
            database_.local(), options_.retention, std::chrono::system_clock::now(),
            &loop_.stop_flag());
        if (result.audit_events_removed > 0 || result.mfa_challenges_removed > 0) {
            logger_.log(Level::info,
                        "[retention] removed " + std::to_string(result.audit_events_removed) +
                            " audit event(s) and " + std::to_string(result.mfa_challenges_removed) +
                            " expired MFA challenge(s)");
        }
    } catch (const std::exception& e) {
        error = e.what();
    }
    if (!error.empty()) {
        logger_.log(Level::error, "[retention] cleanup failed", LogFields().error("Error", error));
    }
}

}  // namespace portcullis::app
