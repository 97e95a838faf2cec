// See audit_writer.hpp.
#include "app/audit_writer.hpp"

#include <algorithm>
#include <exception>
#include <span>
#include <string>

#include "db/audit_store.hpp"
#include "db/result.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"

namespace portcullis::app {
using observability::Level;
using observability::LogFields;

AuditWriter::AuditWriter(AuditWriterOptions options, const db::Database& database,
                         observability::Logger& logger, observability::CounterFamily& written,
                         observability::CounterFamily& dropped)
    : options_(options),
      database_(database),
      logger_(logger),
      written_(written),
      dropped_(dropped) {}

void AuditWriter::record(auth::AuditEvent event) noexcept {
    try {
        {
            const std::lock_guard lock(queue_mutex_);
            if (queue_.size() < options_.capacity) {
                queue_.push_back(std::move(event));
                return;
            }
        }
        dropped_.local({"queue_full"}).inc();
    } catch (...) {
        // Out of memory while queueing: the event is lost, the request goes on.
    }
}

std::size_t AuditWriter::depth() const {
    const std::lock_guard lock(queue_mutex_);
    return queue_.size();
}

void AuditWriter::attach(boost::asio::io_context& io) {
    loop_.attach(io, [this] { return run(); });
}

void AuditWriter::stop(std::chrono::milliseconds timeout) {
    loop_.stop(timeout);
}

boost::asio::awaitable<void> AuditWriter::run() {
    while (!loop_.stopping()) {
        co_await loop_.pause(options_.interval);
        co_await flush();
    }
    // What was queued until stop() is written before the loop ends.
    co_await flush();
}

boost::asio::awaitable<void> AuditWriter::flush() {
    for (;;) {
        if (pending_.empty()) {
            const std::lock_guard lock(queue_mutex_);
            const std::size_t n = std::min(queue_.size(), options_.batch);
            for (std::size_t i = 0; i < n; ++i) {
                pending_.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
        }
        if (pending_.empty()) co_return;
        std::string error;
        bool rejected = false;
        try {
            co_await db::insert_audit_events(database_.local(), std::span(pending_));
        } catch (const db::QueryError& e) {
            // The database refused the data itself: retrying cannot help.
            error = e.what();
            rejected = true;
        } catch (const std::exception& e) {
            error = e.what();
        }
        if (error.empty()) {
            written_.local().inc(static_cast<double>(pending_.size()));
            pending_.clear();
            if (failing_) logger_.log(Level::info, "Audit events are stored again");
            failing_ = false;
            continue;
        }
        if (rejected) {
            dropped_.local({"rejected"}).inc(static_cast<double>(pending_.size()));
            pending_.clear();
            logger_.log(Level::error, "Audit events rejected by the database",
                        LogFields().error("Error", error));
            continue;
        }
        // An outage: keep the batch for the next tick (new events queue up to the capacity).
        if (!failing_) {
            logger_.log(Level::warn, "Audit events cannot be stored; retrying",
                        LogFields().error("Error", error));
        }
        failing_ = true;
        co_return;
    }
}

}  // namespace portcullis::app
