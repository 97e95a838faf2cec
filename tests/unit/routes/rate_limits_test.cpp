// The request matching of the rate-limit stage (contract 1 stages 7, 8 and 12).
#include <gtest/gtest.h>

#include "config/config.hpp"
#include "routes/rate_limits.hpp"

namespace portcullis::routes {
namespace {
using ratelimit::LimiterSet;

TEST(RateLimitMatching, AuthMountAndRoutes) {
    EXPECT_TRUE(under_auth_mount("/auth"));
    EXPECT_TRUE(under_auth_mount("/AUTH/login"));
    EXPECT_TRUE(under_auth_mount("/auth/"));
    EXPECT_FALSE(under_auth_mount("/authority"));
    EXPECT_FALSE(under_auth_mount("//auth"));
    EXPECT_FALSE(under_auth_mount("/health"));

    const LimiterSet set = LimiterSet::from(config::Config{});
    EXPECT_EQ(route_limiter(set, "POST", "/auth/register"), &set.register_user);
    EXPECT_EQ(route_limiter(set, "POST", "/Auth/Register/"), &set.register_user);
    EXPECT_EQ(route_limiter(set, "POST", "/auth/register//"), nullptr);
    EXPECT_EQ(route_limiter(set, "GET", "/auth/register"), nullptr);
    EXPECT_EQ(route_limiter(set, "POST", "/auth/request-password-reset"), &set.password_reset);
    EXPECT_EQ(route_limiter(set, "POST", "/auth/resend-verification"), &set.resend_verification);
    EXPECT_EQ(route_limiter(set, "POST", "/auth/login"), nullptr);
}

}  // namespace
}  // namespace portcullis::routes
