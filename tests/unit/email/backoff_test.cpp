// Pins the outbox retry schedule (decisions C.2): doubling from the base, capped, and the
// attempt that ends the retries.
#include "email/backoff.hpp"

#include <gtest/gtest.h>

namespace portcullis::email {
namespace {
using std::chrono::milliseconds;

TEST(EmailBackoff, DoublesFromTheBaseUpToTheCap) {
    const RetryPolicy policy{milliseconds(5000), milliseconds(60000), 10};
    EXPECT_EQ(retry_delay(1, policy), milliseconds(5000));
    EXPECT_EQ(retry_delay(2, policy), milliseconds(10000));
    EXPECT_EQ(retry_delay(3, policy), milliseconds(20000));
    EXPECT_EQ(retry_delay(4, policy), milliseconds(40000));
    EXPECT_EQ(retry_delay(5, policy), milliseconds(60000));
    EXPECT_EQ(retry_delay(6, policy), milliseconds(60000));
}

TEST(EmailBackoff, LargeAttemptNumbersStayAtTheCap) {
    const RetryPolicy policy{milliseconds(1), milliseconds(600000), 1000};
    EXPECT_EQ(retry_delay(1000, policy), milliseconds(600000));
    EXPECT_EQ(retry_delay(0, policy), milliseconds(1)) << "defensive: no attempt yet";
}

TEST(EmailBackoff, CapBelowBaseWins) {
    const RetryPolicy policy{milliseconds(5000), milliseconds(2000), 3};
    EXPECT_EQ(retry_delay(1, policy), milliseconds(2000));
}

TEST(EmailBackoff, TheLastAllowedAttemptExhausts) {
    const RetryPolicy policy{milliseconds(1), milliseconds(2), 3};
    EXPECT_FALSE(exhausted(1, policy));
    EXPECT_FALSE(exhausted(2, policy));
    EXPECT_TRUE(exhausted(3, policy));
    EXPECT_TRUE(exhausted(4, policy));
}

}  // namespace
}  // namespace portcullis::email
