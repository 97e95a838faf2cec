// See limiter.hpp.
#include "ratelimit/limiter.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cmath>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

#include "redis/connections.hpp"
#include "util/unavailable.hpp"

namespace portcullis::ratelimit {
namespace {

// Contract 6.5 for ARGV[2] hits at once: a key without a live TTL starts a window at the hit count
// with a millisecond expiry of W (ARGV[1]); otherwise it is incremented without touching the TTL.
// Returns {count after the hits, ms left}.
const redis::Script kHitScript(R"(
local hits = tonumber(ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl <= 0 then
  redis.call('SET', KEYS[1], hits, 'PX', ARGV[1])
  return {hits, tonumber(ARGV[1])}
end
return {redis.call('INCRBY', KEYS[1], hits), ttl}
)");

// Group commit per key and I/O thread: while one script call for a key is in flight, further hits
// on that key gather into the next batch, sent as one call when the first returns. Each hit gets
// the count it would have had alone (the batch's first count plus its place), so the outcome is
// that of sequential increments at a fraction of the Redis round trips.
struct Waiter {
    explicit Waiter(const boost::asio::any_io_executor& executor) : wake(executor) {}
    boost::asio::steady_timer wake;
    std::int64_t place = 0;  // 0-based position in its batch
    std::int64_t count = 0;
    std::int64_t ms_left = 0;
    std::exception_ptr error;
    bool done = false;
};
struct Batch {
    std::int64_t hits = 0;
    std::vector<std::shared_ptr<Waiter>> waiters;
};
struct KeyState {
    bool in_flight = false;
    std::shared_ptr<Batch> next;
};
// Only the owning I/O thread touches its map, so no locks.
thread_local std::unordered_map<std::string, KeyState> t_batches;

// Sends the batches of `key` until none is waiting.
boost::asio::awaitable<void> drive(redis::Connections& redis, std::string key,
                                   std::chrono::milliseconds window) {
    const auto executor = co_await boost::asio::this_coro::executor;
    for (;;) {
        // Let every request that is ready to run on this thread join the batch first.
        co_await boost::asio::post(executor, boost::asio::use_awaitable);
        std::shared_ptr<Batch> batch;
        {
            auto found = t_batches.find(key);
            batch = std::move(found->second.next);
            found->second.next.reset();
            if (!batch) {
                t_batches.erase(found);
                co_return;
            }
        }
        std::int64_t count = 0;
        std::int64_t ms_left = 0;
        std::exception_ptr error;
        try {
            const std::vector<std::string> keys{key};
            const std::vector<std::string> args{std::to_string(window.count()),
                                                std::to_string(batch->hits)};
            const redis::Reply reply = co_await redis.local().run_script(kHitScript, keys, args);
            if (reply.type != redis::Reply::Type::array || reply.elements.size() != 2 ||
                reply.elements[0].type != redis::Reply::Type::integer ||
                reply.elements[1].type != redis::Reply::Type::integer) {
                throw redis::Unavailable("unexpected reply from the rate-limit script: " +
                                         reply.text);
            }
            count = reply.elements[0].integer;
            ms_left = reply.elements[1].integer;
        } catch (const std::exception&) {
            error = std::current_exception();
        }
        const std::int64_t first = count - batch->hits + 1;
        for (auto& waiter : batch->waiters) {
            waiter->count = first + waiter->place;
            waiter->ms_left = ms_left;
            waiter->error = error;
            waiter->done = true;
            waiter->wake.cancel();
        }
    }
}

// One hit through the key's batch; {count, ms left}. Throws what the Redis call threw.
boost::asio::awaitable<std::pair<std::int64_t, std::int64_t>> batched_hit(
    redis::Connections& redis, const std::string& key, std::chrono::milliseconds window) {
    const auto executor = co_await boost::asio::this_coro::executor;
    auto waiter = std::make_shared<Waiter>(executor);
    waiter->wake.expires_at(boost::asio::steady_timer::time_point::max());
    KeyState& state = t_batches[key];
    if (!state.next) state.next = std::make_shared<Batch>();
    waiter->place = state.next->hits++;
    state.next->waiters.push_back(waiter);
    if (!state.in_flight) {
        state.in_flight = true;
        boost::asio::co_spawn(executor, drive(redis, key, window), boost::asio::detached);
    }
    if (!waiter->done) {
        co_await waiter->wake.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
    }
    if (waiter->error) std::rethrow_exception(waiter->error);
    co_return std::pair{waiter->count, waiter->ms_left};
}

}  // namespace

LimiterSpec LimiterSpec::make(std::string prefix, double rpm, double window_seconds) {
    LimiterSpec spec;
    spec.prefix = std::move(prefix);
    spec.window_seconds = window_seconds;
    spec.limit = limit_for(rpm, window_seconds);
    // At least 1 ms: Redis refuses a zero expiry, and a zero window would never count.
    const double ms = std::ceil(window_seconds * 1000.0);
    spec.window =
        std::chrono::milliseconds(std::isfinite(ms) && ms >= 1 ? static_cast<std::int64_t>(ms) : 1);
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
        const auto [count, ms_left] = co_await batched_hit(*redis_, key, limiter.window);
        co_return decide(count, limiter.limit, ms_left);
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
