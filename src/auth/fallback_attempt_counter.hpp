// Lockout bookkeeping that survives an outage of its primary store: while the primary (Redis,
// decisions A.2) throws util::Unavailable, the secondary (the LoginAttempt table) answers, so a
// Redis outage neither opens the door to password guessing nor fails logins.
#pragma once

#include "auth/ports.hpp"

namespace portcullis::auth {

class FallbackAttemptCounter final : public AttemptCounter {
public:
    FallbackAttemptCounter(AttemptCounter& primary, AttemptCounter& secondary)
        : primary_(primary), secondary_(secondary) {}

    Task<bool> is_locked(std::string_view email, std::string_view ip, TimePoint now) override;
    Task<bool> record_failure(std::string_view email, std::string_view ip,
                              std::optional<std::string_view> user_id, TimePoint now) override;
    Task<void> clear(std::string_view email, std::string_view ip) override;
    // Clears both stores: an unlock must also undo what was counted during an outage. A primary
    // outage is ignored (its keys expire by themselves).
    Task<void> clear_email(std::string_view email) override;

private:
    AttemptCounter& primary_;
    AttemptCounter& secondary_;
};

}  // namespace portcullis::auth
