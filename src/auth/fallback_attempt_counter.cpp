// See fallback_attempt_counter.hpp. The primary's exception is caught as a value first and the
// secondary awaited outside the handler (no co_await inside a catch block).
#include "auth/fallback_attempt_counter.hpp"

#include "util/unavailable.hpp"

namespace portcullis::auth {

Task<bool> FallbackAttemptCounter::is_locked(std::string_view email, std::string_view ip,
                                             TimePoint now) {
    bool primary_down = false;
    try {
        co_return co_await primary_.is_locked(email, ip, now);
    } catch (const util::Unavailable&) {
        primary_down = true;
    }
    if (primary_down) co_return co_await secondary_.is_locked(email, ip, now);
    co_return false;
}

Task<bool> FallbackAttemptCounter::record_failure(std::string_view email, std::string_view ip,
                                                  std::optional<std::string_view> user_id,
                                                  TimePoint now) {
    bool primary_down = false;
    try {
        co_return co_await primary_.record_failure(email, ip, user_id, now);
    } catch (const util::Unavailable&) {
        primary_down = true;
    }
    if (primary_down) co_return co_await secondary_.record_failure(email, ip, user_id, now);
    co_return false;
}

Task<void> FallbackAttemptCounter::clear(std::string_view email, std::string_view ip) {
    bool primary_down = false;
    try {
        co_await primary_.clear(email, ip);
    } catch (const util::Unavailable&) {
        primary_down = true;
    }
    if (primary_down) co_await secondary_.clear(email, ip);
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
