// See fallback_attempt_counter.hpp. The secondary is awaited after the handler, since a catch block
// may not contain co_await; only a caught exception gets there.
#include "auth/fallback_attempt_counter.hpp"

#include "util/unavailable.hpp"

namespace portcullis::auth {

Task<bool> FallbackAttemptCounter::is_locked(std::string_view email, std::string_view ip,
                                             TimePoint now) {
    try {
        co_return co_await primary_.is_locked(email, ip, now);
    } catch (const util::Unavailable&) {
    }
    co_return co_await secondary_.is_locked(email, ip, now);
}

Task<bool> FallbackAttemptCounter::record_failure(std::string_view email, std::string_view ip,
                                                  std::optional<std::string_view> user_id,
                                                  TimePoint now) {
    try {
        co_return co_await primary_.record_failure(email, ip, user_id, now);
    } catch (const util::Unavailable&) {
    }
    co_return co_await secondary_.record_failure(email, ip, user_id, now);
}

Task<void> FallbackAttemptCounter::clear(std::string_view email, std::string_view ip) {
    try {
        co_await primary_.clear(email, ip);
        co_return;
    } catch (const util::Unavailable&) {
    }
    co_await secondary_.clear(email, ip);
}

Task<void> FallbackAttemptCounter::clear_email(std::string_view email) {
    co_await secondary_.clear_email(email);
    // Best effort: a password reset has already committed when it clears the lockout, so a
    // primary outage must not turn its success into an error. Keys left behind expire by TTL.
    try {
        co_await primary_.clear_email(email);
    } catch (const util::Unavailable&) {
    }
}

}  // namespace portcullis::auth
