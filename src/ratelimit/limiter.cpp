// See limiter.hpp.
#include "ratelimit/limiter.hpp"

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
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

// Batching per key and I/O thread: the hits on one key that arrive in the same turn of the event
// loop are sent as one script call at the end of that turn. Calls are not held back while earlier
// ones are in flight: the connection pipelines them, and Redis runs them in order, so each hit
// still gets the count it would have had alone (the batch's first count plus its place) at a
// fraction of the Redis work.
struct Waiter {
    // The suspended request, resumed through its executor once the batch's reply is in.
    std::optional<boost::asio::any_completion_handler<void()>> resume;
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
// The batch of each key still open in this turn; only the owning I/O thread touches its map.
thread_local std::unordered_map<std::string, std::shared_ptr<Batch>> t_open_batches;

// Closes the key's open batch at the end of this turn and sends it as one call.
boost::asio::awaitable<void> flush(redis::Connections& redis, std::string key,
                                   std::chrono::milliseconds window) {
    const auto executor = co_await boost::asio::this_coro::executor;
    co_await boost::asio::post(executor, boost::asio::use_awaitable);
    std::shared_ptr<Batch> batch;
    if (auto found = t_open_batches.find(key); found != t_open_batches.end()) {
        batch = std::move(found->second);
        t_open_batches.erase(found);
    }
    if (!batch) co_return;
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
            throw redis::Unavailable("unexpected reply from the rate-limit script: " + reply.text);
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
        if (waiter->resume) {
            auto resume = std::move(*waiter->resume);
            waiter->resume.reset();
            boost::asio::post(executor, std::move(resume));
        }
    }
}

// One hit through the key's batch; {count, ms left}. Throws what the Redis call threw.
boost::asio::awaitable<std::pair<std::int64_t, std::int64_t>> batched_hit(
    redis::Connections& redis, const std::string& key, std::chrono::milliseconds window) {
    const auto executor = co_await boost::asio::this_coro::executor;
    auto waiter = std::make_shared<Waiter>();
    auto& open = t_open_batches[key];
    const bool first_of_turn = !open;
    if (first_of_turn) open = std::make_shared<Batch>();
    waiter->place = open->hits++;
    open->waiters.push_back(waiter);
    if (first_of_turn) {
        boost::asio::co_spawn(executor, flush(redis, key, window), boost::asio::detached);
    }
    if (!waiter->done) {
        Waiter* const target = waiter.get();
        co_await boost::asio::async_initiate<decltype(boost::asio::use_awaitable), void()>(
            [target](auto handler) { target->resume.emplace(std::move(handler)); },
            boost::asio::use_awaitable);
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

Decision Limiters::check_local(const LimiterSpec& limiter, std::string_view client_key) {
    return memory_.hit(store_key(limiter.prefix, client_key), limiter.limit, limiter.window,
                       Clock::now());
}

boost::asio::awaitable<std::optional<Decision>> Limiters::check(const LimiterSpec& limiter,
                                                                std::string_view client_key) {
    if (redis_ == nullptr) co_return check_local(limiter, client_key);
    const std::string key = store_key(limiter.prefix, client_key);

    std::string failure;
    try {
        const auto [count, ms_left] = co_await batched_hit(*redis_, key, limiter.window);
        co_return decide(count, limiter.limit, ms_left);
    } catch (const util::Unavailable& e) {
        failure = e.what();
    }
    switch (failure_mode_) {
        case config::RedisFailureMode::local:
            co_return check_local(limiter, client_key);
        case config::RedisFailureMode::open:
            co_return std::nullopt;
        case config::RedisFailureMode::closed:
            break;
    }
    throw util::Unavailable("RATE_LIMIT_UNAVAILABLE", "Rate limiting unavailable", failure);
}

}  // namespace portcullis::ratelimit
