// The audit writer (issue #16): security events from every I/O thread go into one bounded queue
// and a background loop on the first I/O thread stores them in batches, one multi-row INSERT each,
// so a request never waits for an audit write. When the queue is full the event is dropped and
// counted (portcullis_audit_events_dropped_total{reason="queue_full"}): requests are never blocked.
// A batch the database could not take (outage) is retried on the next tick; one it refused is
// dropped and counted as rejected. stop() writes what is queued before the loop ends.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include "auth/audit.hpp"
#include "db/database.hpp"
#include "util/background_loop.hpp"

namespace portcullis::observability {
class Logger;
class CounterFamily;
}  // namespace portcullis::observability

namespace portcullis::app {

struct AuditWriterOptions {
    std::size_t capacity = 10000;             // queued events before new ones are dropped
    std::size_t batch = 500;                  // events per INSERT
    std::chrono::milliseconds interval{100};  // how often the queue is drained
};

class AuditWriter final : public auth::AuditLog {
public:
    // Everything passed in must outlive the writer.
    AuditWriter(AuditWriterOptions options, const db::Database& database,
                observability::Logger& logger, observability::CounterFamily& written,
                observability::CounterFamily& dropped);
    AuditWriter(const AuditWriter&) = delete;
    AuditWriter& operator=(const AuditWriter&) = delete;

    // Any thread; never blocks on the database, never throws.
    void record(auth::AuditEvent event) noexcept override;

    // Called on each I/O thread after its pool is attached: the first call starts the loop.
    void attach(boost::asio::io_context& io);
    // Writes what is queued (at most `timeout`) and ends the loop, from any thread but the loop's.
    void stop(std::chrono::milliseconds timeout);

    std::size_t depth() const;

private:
    boost::asio::awaitable<void> run();
    boost::asio::awaitable<void> flush();

    AuditWriterOptions options_;
    const db::Database& database_;
    observability::Logger& logger_;
    observability::CounterFamily& written_;
    observability::CounterFamily& dropped_;

    mutable std::mutex queue_mutex_;  // guards queue_ only; held for a push or a swap
    std::deque<auth::AuditEvent> queue_;
    std::vector<auth::AuditEvent> pending_;  // taken from the queue, not yet stored (loop only)
    bool failing_ = false;                   // the last write failed (loop only; logs once)
    util::BackgroundLoop loop_;
};

}  // namespace portcullis::app
