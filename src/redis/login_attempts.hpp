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

// The key prefix of password failures (decisions A.2) and of MFA failures (issue #16: counted
// apart, with the same rules).
inline constexpr std::string_view kLoginAttemptPrefix = "login_attempt:";
inline constexpr std::string_view kMfaAttemptPrefix = "mfa_attempt:";

// `login_attempt:{<email>}:<ip>` (or another prefix; the braces: a Redis Cluster hash tag).
std::string login_attempt_key(std::string_view email, std::string_view ip,
                              std::string_view prefix = kLoginAttemptPrefix);
// `login_attempt:{<email>}`: the set of the addresses that have a record for the email.
std::string login_attempt_index_key(std::string_view email,
                                    std::string_view prefix = kLoginAttemptPrefix);

class RedisAttemptCounter final : public auth::AttemptCounter {
public:
    RedisAttemptCounter(Connections& connections, auth::LockoutPolicy policy,
                        std::string_view prefix = kLoginAttemptPrefix);
    RedisAttemptCounter(Commands& client, auth::LockoutPolicy policy,
                        std::string_view prefix = kLoginAttemptPrefix);

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
    std::string prefix_;
};

}  // namespace portcullis::redis
