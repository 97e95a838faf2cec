// See session_cleanup_job.hpp.
#include "app/session_cleanup_job.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

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
    if (attached_.exchange(true)) return;
    io_ = &io;
    {
        const std::lock_guard lock(mutex_);
        running_ = true;
    }
    boost::asio::co_spawn(io, run(), [this](const std::exception_ptr&) { finished(); });
}

void SessionCleanupJob::finished() {
    const std::lock_guard lock(mutex_);
    running_ = false;
    done_cv_.notify_all();
}

void SessionCleanupJob::stop(std::chrono::milliseconds timeout) {
    stopping_ = true;
    if (io_ == nullptr) return;
    boost::asio::post(*io_, [this] {
        if (timer_ != nullptr) timer_->cancel();
    });
    std::unique_lock lock(mutex_);
    done_cv_.wait_for(lock, timeout, [this] { return !running_; });
}

boost::asio::awaitable<void> SessionCleanupJob::run() {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    timer_ = &timer;
    // One coroutine runs the rounds one after another, so a round can never overlap the next.
    while (!stopping_) {
        co_await round();
        if (stopping_) break;
        co_await retention_round();
        if (stopping_) break;
        timer.expires_after(options_.interval);
        try {
            co_await timer.async_wait(boost::asio::use_awaitable);
        } catch (const boost::system::system_error&) {
            // Cancelled by stop(): the loop condition ends it.
        }
    }
    timer_ = nullptr;
}

boost::asio::awaitable<void> SessionCleanupJob::round() {
    std::string error;
    try {
        const auto now = std::chrono::system_clock::now();
        const auto result =
            co_await db::cleanup_sessions(database_.local(), options_.cleanup, now, &stopping_);
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
            database_.local(), options_.retention, std::chrono::system_clock::now(), &stopping_);
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
