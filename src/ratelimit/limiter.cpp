// See limiter.hpp.
#include "ratelimit/limiter.hpp"

#include <cmath>

#include "redis/connections.hpp"
#include "util/unavailable.hpp"

namespace portcullis::ratelimit {
namespace {

// Contract 6.5: a key without a live TTL starts a window at 1 with a millisecond expiry of W;
// otherwise it is incremented without touching the TTL. Returns {count, ms left}.
const redis::Script kHitScript(R"(
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then
  redis.call('SET', KEYS[1], 1, 'PX', ARGV[1])
  return {1, tonumber(ARGV[1])}
end
return {redis.call('INCR', KEYS[1]), ttl}
)");

}  // namespace

LimiterSpec LimiterSpec::make(std::string prefix, double rpm, double window_seconds) {
    LimiterSpec spec;
    spec.prefix = std::move(prefix);
    spec.window_seconds = window_seconds;
    spec.limit = limit_for(rpm, window_seconds);
    // At least 1 ms: Redis refuses a zero expiry, and a zero window would never count.
    const double ms = std::ceil(window_seconds * 1000.0);
    spec.window = std::chrono::milliseconds(
        std::isfinite(ms) && ms >= 1 ? static_cast<std::int64_t>(ms) : 1);
    spec.policy = policy_header(spec.limit, window_seconds);
    return spec;
}

LimiterSet LimiterSet::from(const config::Config& config) {
    const double w = config.rate_limit_window_sec;
    return {
        .global = LimiterSpec::make("rate-limit:global", config.rate_limit_rpm, w),
        .auth = LimiterSpec::make("rate-limit:auth", config.rate_limit_rpm_auth, w),
        .register_user =
            LimiterSpec::make("rate-limit:auth-register", config.rate_limit_rpm_auth_register, w),
        .password_reset = LimiterSpec::make("rate-limit:auth-request-password-reset",
                                            config.rate_limit_rpm_auth_password_reset, w),
        .resend_verification = LimiterSpec::make("rate-limit:auth-resend-verification",
                                                 config.rate_limit_rpm_auth_password_reset, w),
    };
}

Limiters::Limiters(redis::Connections* redis, config::RedisFailureMode failure_mode)
    : redis_(redis), failure_mode_(failure_mode) {}

boost::asio::awaitable<std::optional<Decision>> Limiters::check(const LimiterSpec& limiter,
                                                                 std::string_view client_key) {
    const std::string key = store_key(limiter.prefix, client_key);
    if (redis_ == nullptr) co_return memory_.hit(key, limiter.limit, limiter.window, Clock::now());

    std::string failure;
    try {
        const std::vector<std::string> keys{key};
        const std::vector<std::string> args{std::to_string(limiter.window.count())};
        const redis::Reply reply = co_await redis_->local().run_script(kHitScript, keys, args);
        if (reply.type == redis::Reply::Type::array && reply.elements.size() == 2 &&
            reply.elements[0].type == redis::Reply::Type::integer &&
            reply.elements[1].type == redis::Reply::Type::integer) {
            co_return decide(reply.elements[0].integer, limiter.limit,
                             reply.elements[1].integer);
        }
        failure = "unexpected reply from the rate-limit script: " + reply.text;
    } catch (const util::Unavailable& e) {
        failure = e.what();
    }
    switch (failure_mode_) {
        case config::RedisFailureMode::local:
            co_return memory_.hit(key, limiter.limit, limiter.window, Clock::now());
        case config::RedisFailureMode::open:
            co_return std::nullopt;
        case config::RedisFailureMode::closed:
            break;
    }
    throw util::Unavailable("RATE_LIMIT_UNAVAILABLE", "Rate limiting unavailable", failure);
}

}  // namespace portcullis::ratelimit
