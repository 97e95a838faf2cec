// RATE_LIMIT_REDIS_URL parsing: host, port, password, user, database index; refused schemes; the
// password never appears in messages.
#include <gtest/gtest.h>

#include "redis/login_attempts.hpp"
#include "redis/settings.hpp"

namespace portcullis::redis {
namespace {

TEST(RedisSettings, ParsesPasswordPortAndDatabase) {
    std::string error;
    const auto s = parse_redis_url("redis://:s%40cret@cache.internal:6380/3", error);
    ASSERT_TRUE(s) << error;
    EXPECT_EQ(s->host, "cache.internal");
    EXPECT_EQ(s->port, 6380);
    EXPECT_EQ(s->password, "s@cret");
    EXPECT_TRUE(s->username.empty());
    EXPECT_EQ(s->database, 3);
    EXPECT_EQ(s->masked.find("cret"), std::string::npos);
}

TEST(RedisSettings, DefaultsAndAclUser) {
    std::string error;
    const auto plain = parse_redis_url("redis://localhost", error);
    ASSERT_TRUE(plain) << error;
    EXPECT_EQ(plain->port, 6379);
    EXPECT_EQ(plain->database, 0);
    EXPECT_TRUE(plain->password.empty());
    const auto acl = parse_redis_url("redis://app:pw@[::1]:7000", error);
    ASSERT_TRUE(acl) << error;
    EXPECT_EQ(acl->host, "::1");
    EXPECT_EQ(acl->username, "app");
    EXPECT_EQ(acl->password, "pw");
}

TEST(RedisSettings, RefusesWhatTheClientCannotUseWithoutLeakingThePassword) {
    for (const char* url : {"rediss://:topsecret@h:6380", "http://:topsecret@h",
                            "redis://:topsecret@h:0", "redis://:topsecret@h/notanumber"}) {
        std::string error;
        EXPECT_FALSE(parse_redis_url(url, error)) << url;
        EXPECT_FALSE(error.empty());
        EXPECT_EQ(error.find("topsecret"), std::string::npos) << error;
    }
}

TEST(LoginAttemptKeys, KeyAndScanPattern) {
    EXPECT_EQ(login_attempt_key("a@b.io", "::ffff:127.0.0.1"),
              "login_attempt:a@b.io:::ffff:127.0.0.1");
    EXPECT_EQ(login_attempt_index_key("a@b.io"), "login_attempt:a@b.io");
}

}  // namespace
}  // namespace portcullis::redis
