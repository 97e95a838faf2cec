// Rate-limit arithmetic (contract 6.1–6.4, decisions B.5, B.6): limits, keys, windows, headers.
#include <gtest/gtest.h>

#include "ratelimit/policy.hpp"

namespace portcullis::ratelimit {
namespace {
using namespace std::chrono_literals;

TEST(Limit, FollowsTheContractFormulaAndDefaults) {
    EXPECT_EQ(limit_for(600, 900), 9000);
    EXPECT_EQ(limit_for(120, 900), 1800);
    EXPECT_EQ(limit_for(0.33, 900), 5);  // 4.95 rounds up
    EXPECT_EQ(limit_for(0.2, 900), 3);
    EXPECT_EQ(limit_for(2, 60), 2);
    EXPECT_EQ(limit_for(0, 900), 1);  // never below one
    EXPECT_EQ(limit_for(-5, 900), 1);
}

TEST(ClientKey, Ipv4AndMappedAreIpv4Ipv6IsItsSlash56) {
    EXPECT_EQ(client_key("203.0.113.5"), "203.0.113.5");
    EXPECT_EQ(client_key("::ffff:127.0.0.1"), "127.0.0.1");
    EXPECT_EQ(client_key("::FFFF:198.51.100.3"), "198.51.100.3");
    EXPECT_EQ(client_key("2001:db8:1234:5678::1"), "2001:db8:1234:5600::/56");
    EXPECT_EQ(client_key("2001:db8:1234:56ff:ffff::9"), "2001:db8:1234:5600::/56");
    EXPECT_EQ(client_key("::1"), "::/56");
    EXPECT_EQ(client_key("unknown"), "unknown");
    EXPECT_EQ(client_key(""), "");
}

TEST(StoreKey, PutsAColonBetweenPrefixAndKey) {
    EXPECT_EQ(store_key("rate-limit:global", "203.0.113.5"), "rate-limit:global:203.0.113.5");
    EXPECT_EQ(store_key("rate-limit:auth", "2001:db8:1234:5600::/56"),
              "rate-limit:auth:2001:db8:1234:5600::/56");
}

TEST(Window, CountsEveryHitIncludingBlockedOnes) {
    Window w;
    const auto t0 = Clock::time_point{} + 1000s;
    const auto first = hit(w, 2, 60s, t0);
    EXPECT_TRUE(first.allowed);
    EXPECT_EQ(first.remaining, 1);
    EXPECT_EQ(first.reset_seconds, 60);
    EXPECT_TRUE(hit(w, 2, 60s, t0 + 1s).allowed);
    const auto third = hit(w, 2, 60s, t0 + 1500ms);
    EXPECT_FALSE(third.allowed);
    EXPECT_EQ(third.remaining, 0);
    EXPECT_EQ(third.reset_seconds, 59);  // 58.5 s left rounds up
    EXPECT_FALSE(hit(w, 2, 60s, t0 + 2s).allowed);
    EXPECT_EQ(w.count, 4);
}

TEST(Window, ANewWindowStartsWhenTheOldOneEnds) {
    Window w;
    const auto t0 = Clock::time_point{} + 5000s;
    hit(w, 1, 10s, t0);
    EXPECT_FALSE(hit(w, 1, 10s, t0 + 9999ms).allowed);
    const auto fresh = hit(w, 1, 10s, t0 + 10s);
    EXPECT_TRUE(fresh.allowed);
    EXPECT_EQ(w.count, 1);
    EXPECT_EQ(fresh.reset_seconds, 10);
}

TEST(Decide, MatchesWhatARedisStoreReturns) {
    const auto d = decide(10, 9, 1);
    EXPECT_FALSE(d.allowed);
    EXPECT_EQ(d.remaining, 0);
    EXPECT_EQ(d.reset_seconds, 1);
    EXPECT_EQ(decide(1, 9, 0).reset_seconds, 0);
    EXPECT_EQ(decide(1, 9, -5).reset_seconds, 0);
    EXPECT_EQ(decide(9, 9, 2001).reset_seconds, 3);
    EXPECT_TRUE(decide(9, 9, 1000).allowed);
}

TEST(Headers, PolicyNamesTheLimitAndTheWindow) {
    EXPECT_EQ(policy_header(9000, 900), "9000;w=900");
    EXPECT_EQ(policy_header(2, 59.5), "2;w=60");
}

}  // namespace
}  // namespace portcullis::ratelimit
