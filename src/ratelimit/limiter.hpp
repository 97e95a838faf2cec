// The rate limiters of contract section 6 over their store: Redis (one atomic script per check,
// shared by every replica) or memory, and the failure modes of decisions A.4 while Redis is down.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "ratelimit/memory_store.hpp"
#include "ratelimit/policy.hpp"

namespace portcullis::redis {
class Connections;
}

namespace portcullis::ratelimit {

struct LimiterSpec {
    std::string prefix;  // e.g. `rate-limit:global`
    std::int64_t limit = 1;
    double window_seconds = 900;
    std::chrono::milliseconds window{900000};
    std::string policy;  // the RateLimit-Policy value

    static LimiterSpec make(std::string prefix, double rpm, double window_seconds);
};

// The four limiters of contract 6.1 (plus resend-verification, decisions C.1, which shares the
// password-reset rate under its own key).
struct LimiterSet {
    LimiterSpec global;
    LimiterSpec auth;
    LimiterSpec register_user;
    LimiterSpec password_reset;
    LimiterSpec resend_verification;

    static LimiterSet from(const config::Config& config);
};

class Limiters {
public:
    // `redis` null: memory store only.
    Limiters(redis::Connections* redis, config::RedisFailureMode failure_mode);

    // Counts a hit of `client_key` and decides. nullopt when the request is not limited at all
    // (`open` mode while Redis is down). Throws util::Unavailable (503 RATE_LIMIT_UNAVAILABLE) in
    // `closed` mode while Redis is down. Runs on an I/O thread.
    boost::asio::awaitable<std::optional<Decision>> check(const LimiterSpec& limiter,
                                                          std::string_view client_key);

    // The memory store's decision, without a coroutine (the path of every request when no Redis
    // is configured).
    Decision check_local(const LimiterSpec& limiter, std::string_view client_key);

    bool uses_redis() const { return redis_ != nullptr; }

private:
    redis::Connections* redis_;
    config::RedisFailureMode failure_mode_;
    MemoryStore memory_;
};

}  // namespace portcullis::ratelimit
