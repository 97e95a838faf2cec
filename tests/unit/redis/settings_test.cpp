// RATE_LIMIT_REDIS_URL parsing: host, port, password, user, database index; refused schemes; the
// password never appears in messages.
#include <gtest/gtest.h>

#include "redis/cluster.hpp"
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

TEST(LoginAttemptKeys, KeyAndScanPatternShareOneClusterSlot) {
    EXPECT_EQ(login_attempt_key("a@b.io", "::ffff:127.0.0.1"),
              "login_attempt:{a@b.io}:::ffff:127.0.0.1");
    EXPECT_EQ(login_attempt_index_key("a@b.io"), "login_attempt:{a@b.io}");
    // `}` would end the tag (an email starting with it would leave it empty): it is escaped, and
    // so is `%`, so that no two emails share a key.
    EXPECT_EQ(login_attempt_index_key("}a%b@c.io"), "login_attempt:{%7Da%25b@c.io}");
    EXPECT_NE(login_attempt_index_key("%7D@b.io"), login_attempt_index_key("}@b.io"));
    // A record and its index always hash to one slot, whatever the email holds.
    for (const char* email : {"a@b.io", "odd}name@b.io", "{x}@b.io", "}{@b.io", "%7D@b.io"}) {
        EXPECT_EQ(key_slot(login_attempt_key(email, "10.0.0.1")),
                  key_slot(login_attempt_index_key(email)))
            << email;
    }
}

TEST(RedisSettings, ClusterUrlNamesSeedNodes) {
    std::string error;
    const auto s = parse_redis_url(
        "redis://:pw@10.0.0.1:7000?cluster=true&addr=10.0.0.2:7001&addr=%5B::1%5D:7002", error);
    ASSERT_TRUE(s) << error;
    EXPECT_TRUE(s->cluster);
    EXPECT_EQ(s->host, "10.0.0.1");
    EXPECT_EQ(s->port, 7000);
    ASSERT_EQ(s->seeds.size(), 2u);
    EXPECT_EQ(s->seeds[0], (std::pair<std::string, std::uint16_t>{"10.0.0.2", 7001}));
    EXPECT_EQ(s->seeds[1], (std::pair<std::string, std::uint16_t>{"::1", 7002}));
    EXPECT_FALSE(parse_redis_url("redis://h:7000", error)->cluster);
    for (const char* bad : {"redis://:pw@h:7000/2?cluster=true", "redis://:pw@h?addr=h2:1",
                            "redis://:pw@h?cluster=true&addr=h2", "redis://:pw@h?cluster=maybe"}) {
        EXPECT_FALSE(parse_redis_url(bad, error)) << bad;
        EXPECT_EQ(error.find("pw@"), std::string::npos) << error;
    }
}

// The slot rule of the Redis Cluster specification, with its published example values.
TEST(RedisCluster, KeySlotFollowsTheSpecificationAndHashTags) {
    EXPECT_EQ(key_slot("123456789"), 12739);  // CRC16/XMODEM check value 0x31C3
    EXPECT_EQ(key_slot("foo"), 12182);
    EXPECT_EQ(key_slot("{user1000}.following"), key_slot("user1000"));
    EXPECT_EQ(key_slot("foo{}{bar}"), key_slot("foo{}{bar}"));
    EXPECT_NE(key_slot("foo{}{bar}"), key_slot("bar"));  // empty first tag: the whole key
    EXPECT_EQ(key_slot("foo{{bar}}zap"), key_slot("{bar"));
    EXPECT_EQ(key_slot("foo{bar}{zap}"), key_slot("bar"));
}

TEST(RedisCluster, RedirectionsAndSlotMapsAreParsed) {
    Reply moved;
    moved.type = Reply::Type::error;
    moved.text = "MOVED 3999 127.0.0.1:6381";
    const auto m = parse_redirect(moved);
    ASSERT_TRUE(m);
    EXPECT_FALSE(m->ask);
    EXPECT_EQ(m->slot, 3999);
    EXPECT_EQ(m->host, "127.0.0.1");
    EXPECT_EQ(m->port, 6381);
    Reply ask = moved;
    ask.text = "ASK 1 :7000";
    const auto a = parse_redirect(ask);
    ASSERT_TRUE(a);
    EXPECT_TRUE(a->ask);
    EXPECT_EQ(a->host, "");
    Reply other = moved;
    other.text = "ERR unknown command";
    EXPECT_FALSE(parse_redirect(other));
    other.text = "MOVED 99999 h:1";
    EXPECT_FALSE(parse_redirect(other));

    const auto integer = [](std::int64_t v) {
        Reply r;
        r.type = Reply::Type::integer;
        r.integer = v;
        return r;
    };
    const auto text = [](std::string v) {
        Reply r;
        r.type = Reply::Type::string;
        r.text = std::move(v);
        return r;
    };
    const auto array = [](std::vector<Reply> items) {
        Reply r;
        r.type = Reply::Type::array;
        r.elements = std::move(items);
        return r;
    };
    const Reply slots = array({
        array({integer(0), integer(5460), array({text("10.0.0.1"), integer(7000), text("id1")}),
               array({text("10.0.0.4"), integer(7003), text("id4")})}),
        array({integer(5461), integer(16383), array({text(""), integer(7001), text("id2")})}),
    });
    const auto ranges = parse_cluster_slots(slots);
    ASSERT_EQ(ranges.size(), 2u);
    EXPECT_EQ(ranges[0].first, 0);
    EXPECT_EQ(ranges[0].last, 5460);
    EXPECT_EQ(ranges[0].host, "10.0.0.1");
    EXPECT_EQ(ranges[0].port, 7000);
    EXPECT_EQ(ranges[1].host, "");
    EXPECT_THROW(parse_cluster_slots(array({array({integer(0)})})), ProtocolError);
    EXPECT_THROW(parse_cluster_slots(text("nope")), ProtocolError);
}

}  // namespace
}  // namespace portcullis::redis
