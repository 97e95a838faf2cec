// Login-attempt tracking in Redis (decisions A.2): the rules of contract 5.7 in one atomic script
// per call, one hash per (email, IP) under `login_attempt:{<email>}:<ip>` that expires by itself
// (after the window without a lock, after the lockout with one), so every replica sees the same
// count; a per-email index of addresses lets an email be cleared without scanning the keyspace.
// Throws redis::Unavailable when Redis cannot answer.
#pragma once

#include <string>
#include <string_view>

#include "auth/ports.hpp"
#include "redis/connections.hpp"

namespace portcullis::redis {

// `login_attempt:{<email>}:<ip>` (the braces: a Redis Cluster hash tag).
std::string login_attempt_key(std::string_view email, std::string_view ip);
// `login_attempt:{<email>}`: the set of the addresses that have a record for the email.
std::string login_attempt_index_key(std::string_view email);

class RedisAttemptCounter final : public auth::AttemptCounter {
public:
    RedisAttemptCounter(Connections& connections, auth::LockoutPolicy policy);
    RedisAttemptCounter(Commands& client, auth::LockoutPolicy policy);

    auth::Task<bool> is_locked(std::string_view email, std::string_view ip,
                               auth::TimePoint now) override;
    auth::Task<bool> record_failure(std::string_view email, std::string_view ip,
                                    std::optional<std::string_view> user_id,
                                    auth::TimePoint now) override;
    auth::Task<void> clear(std::string_view email, std::string_view ip) override;
    auth::Task<void> clear_email(std::string_view email) override;

private:
    Commands& client() const;

    Connections* connections_ = nullptr;
    Commands* client_ = nullptr;
    auth::LockoutPolicy policy_;
};

}  // namespace portcullis::redis
