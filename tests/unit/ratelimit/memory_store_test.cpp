// The in-memory store and the limiter settings.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "ratelimit/limiter.hpp"
#include "ratelimit/memory_store.hpp"

namespace portcullis::ratelimit {
namespace {
using namespace std::chrono_literals;

TEST(MemoryStore, CountsPerKeyAndRestartsAfterTheWindow) {
    MemoryStore store;
    const auto t0 = Clock::now();
    EXPECT_TRUE(store.hit("a", 2, 1000ms, t0).allowed);
    EXPECT_TRUE(store.hit("a", 2, 1000ms, t0 + 10ms).allowed);
    const auto third = store.hit("a", 2, 1000ms, t0 + 20ms);
    EXPECT_FALSE(third.allowed);
    EXPECT_EQ(third.remaining, 0);
    EXPECT_EQ(third.reset_seconds, 1);
    EXPECT_TRUE(store.hit("b", 2, 1000ms, t0 + 20ms).allowed);
    const auto later = store.hit("a", 2, 1000ms, t0 + 1000ms);
    EXPECT_TRUE(later.allowed);
    EXPECT_EQ(later.remaining, 1);
}

TEST(MemoryStore, ConcurrentHitsAreAllCounted) {
    MemoryStore store;
    std::vector<std::thread> threads;
    const auto now = Clock::now();
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 1000; ++i) store.hit("shared", 1000000, 60s, now);
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(store.hit("shared", 1000000, 60s, now).remaining, 1000000 - 4001);
}

TEST(MemoryStore, ExpiredWindowsAreSweptAsTheMapGrows) {
    MemoryStore store;
    const auto t0 = Clock::now();
    for (int i = 0; i < 50000; ++i) store.hit("k" + std::to_string(i), 5, 10ms, t0);
    for (int i = 0; i < 50000; ++i) store.hit("n" + std::to_string(i), 5, 10ms, t0 + 1s);
    EXPECT_LT(store.size(), 80000u);
}

TEST(LimiterSpec, LimitWindowAndPolicyFromConfiguration) {
    config::Config config;
    const auto set = LimiterSet::from(config);
    EXPECT_EQ(set.global.limit, 9000);
    EXPECT_EQ(set.auth.limit, 1800);
    EXPECT_EQ(set.register_user.limit, 5);
    EXPECT_EQ(set.password_reset.limit, 3);
    EXPECT_EQ(set.global.window, 900000ms);
    EXPECT_EQ(set.global.policy, "9000;w=900");
    EXPECT_EQ(set.register_user.prefix, "rate-limit:auth-register");
    EXPECT_EQ(set.password_reset.prefix, "rate-limit:auth-request-password-reset");
    EXPECT_EQ(LimiterSpec::make("p", 1, 0).window, 1ms);
    EXPECT_EQ(LimiterSpec::make("p", 1, 1.5).policy, "1;w=2");
}

}  // namespace
}  // namespace portcullis::ratelimit
