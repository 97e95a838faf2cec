// Whether Postgres answers at all (decisions E.6): a circuit breaker shared by the pools of one
// Database. A round trip that hits its deadline, or a readiness ping that gets no answer in time,
// opens it; while open, statements fail at once with DatabaseUnavailable instead of each waiting
// out the statement timeout, except one probe statement at a time, which goes through; the first
// round trip that completes closes it. Lock-free; any I/O thread may call it.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>

namespace portcullis::db {

class Breaker {
public:
    using Clock = std::chrono::steady_clock;
    // Called on each transition (true: opened), on the thread that caused it.
    using Listener = std::function<void(bool open)>;

    explicit Breaker(std::chrono::milliseconds probe_interval = std::chrono::milliseconds(200))
        : probe_interval_(probe_interval) {}

    void set_listener(Listener listener) { listener_ = std::move(listener); }

    // Before a statement is sent: false means fail fast. `probe` is set when this statement is
    // the one let through while open; the caller must then report its outcome exactly once.
    bool admit(bool& probe);
    // A round trip completed (whatever the server answered): Postgres is responsive.
    void succeeded(bool probe);
    // A round trip or a ping got no answer within its deadline.
    void unresponsive(bool probe);
    // The probe ended without telling anything about responsiveness (e.g. refused dial).
    void probe_abandoned();

    bool open() const { return open_.load(std::memory_order_relaxed); }

private:
    void transition(bool open);

    std::chrono::milliseconds probe_interval_;
    std::atomic<bool> open_{false};
    std::atomic<bool> probing_{false};
    std::atomic<Clock::rep> next_probe_{0};
    Listener listener_;
};

}  // namespace portcullis::db
