// See backoff.hpp.
#include "email/backoff.hpp"

#include <algorithm>

namespace portcullis::email {

std::chrono::milliseconds retry_delay(int attempt, const RetryPolicy& policy) {
    auto delay = policy.base;
    // Doubling stops at the cap, so large attempt numbers cannot overflow.
    for (int i = 1; i < attempt && delay < policy.max; ++i) delay *= 2;
    return std::min(delay, policy.max);
}

}  // namespace portcullis::email
