// See breaker.hpp.
#include "db/breaker.hpp"

namespace portcullis::db {

bool Breaker::admit(bool& probe) {
    probe = false;
    if (!open_.load(std::memory_order_relaxed)) return true;
    if (Clock::now().time_since_epoch().count() < next_probe_.load(std::memory_order_relaxed)) {
        return false;
    }
    bool expected = false;
    if (!probing_.compare_exchange_strong(expected, true)) return false;
    probe = true;
    return true;
}

void Breaker::succeeded(bool probe) {
    if (probe) probing_.store(false);
    if (open_.exchange(false)) transition(false);
}

void Breaker::unresponsive(bool probe) {
    // The first probe may go at once; after a failed probe the next waits a little.
    next_probe_.store((Clock::now() + (probe ? probe_interval_ : Clock::duration::zero()))
                          .time_since_epoch()
                          .count());
    if (probe) probing_.store(false);
    if (!open_.exchange(true)) transition(true);
}

void Breaker::probe_abandoned() {
    probing_.store(false);
}

void Breaker::transition(bool open) {
    if (listener_) listener_(open);
}

}  // namespace portcullis::db
