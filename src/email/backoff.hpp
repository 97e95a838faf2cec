// The retry schedule of the outbox (decisions C.2): exponential backoff with a cap.
#pragma once

#include <chrono>

namespace portcullis::email {

struct RetryPolicy {
    std::chrono::milliseconds base{5000};
    std::chrono::milliseconds max{10 * 60 * 1000};
    int max_attempts = 10;
};

// The wait after failed attempt number `attempt` (1-based): base * 2^(attempt-1), at most max.
std::chrono::milliseconds retry_delay(int attempt, const RetryPolicy& policy);

// True when failed attempt number `attempt` was the last one allowed.
inline bool exhausted(int attempt, const RetryPolicy& policy) {
    return attempt >= policy.max_attempts;
}

}  // namespace portcullis::email
