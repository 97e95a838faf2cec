// Connection admission (issue #19): the per-process and per-address caps, trusted proxies
// exempt from the latter, IPv4-mapped peers counted as their IPv4 address.
#include "http/connection_limits.hpp"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::http {
namespace {

PeerKey key(const std::string& text) {
    return peer_key(*util::parse_ip(text));
}

TEST(ConnectionLimits, TotalCapCountsEveryPeer) {
    ConnectionLimits limits(3, 0);
    EXPECT_EQ(limits.admit(key("10.0.0.1"), false), Admission::admitted);
    EXPECT_EQ(limits.admit(key("10.0.0.2"), false), Admission::admitted);
    EXPECT_EQ(limits.admit(key("10.0.0.3"), true), Admission::admitted);
    EXPECT_EQ(limits.admit(key("10.0.0.4"), true), Admission::total_full);
    EXPECT_EQ(limits.open(), 3u);
    limits.release(key("10.0.0.1"), false);
    EXPECT_EQ(limits.admit(key("10.0.0.4"), false), Admission::admitted);
}

TEST(ConnectionLimits, PerAddressCapSparesExemptPeersAndOtherAddresses) {
    ConnectionLimits limits(0, 2);
    EXPECT_EQ(limits.admit(key("203.0.113.5"), false), Admission::admitted);
    // The IPv4-mapped spelling is the same client.
    EXPECT_EQ(limits.admit(key("::ffff:203.0.113.5"), false), Admission::admitted);
    EXPECT_EQ(limits.admit(key("203.0.113.5"), false), Admission::address_full);
    EXPECT_EQ(limits.admit(key("203.0.113.6"), false), Admission::admitted);
    EXPECT_EQ(limits.admit(key("2001:db8::1"), false), Admission::admitted);
    for (int i = 0; i < 10; ++i)
        EXPECT_EQ(limits.admit(key("127.0.0.1"), true), Admission::admitted);
    limits.release(key("203.0.113.5"), false);
    EXPECT_EQ(limits.admit(key("203.0.113.5"), false), Admission::admitted);
    EXPECT_EQ(limits.open(), 14u);
}

TEST(ConnectionLimits, TrustProxyDecidesWhoIsExempt) {
    const auto loopback = util::TrustProxy::loopback();
    EXPECT_TRUE(trusts_peer(loopback, *util::parse_ip("::ffff:127.0.0.1")));
    EXPECT_TRUE(trusts_peer(loopback, *util::parse_ip("::1")));
    EXPECT_FALSE(trusts_peer(loopback, *util::parse_ip("203.0.113.5")));
    std::string error;
    EXPECT_FALSE(trusts_peer(*util::parse_trust_proxy("false", error), *util::parse_ip("::1")));
    EXPECT_TRUE(trusts_peer(*util::parse_trust_proxy("true", error), *util::parse_ip("8.8.8.8")));
    EXPECT_TRUE(trusts_peer(*util::parse_trust_proxy("1", error), *util::parse_ip("8.8.8.8")));
    EXPECT_FALSE(trusts_peer(*util::parse_trust_proxy("0", error), *util::parse_ip("8.8.8.8")));
    EXPECT_TRUE(
        trusts_peer(*util::parse_trust_proxy("10.0.0.0/8", error), *util::parse_ip("10.1.2.3")));
}

}  // namespace
}  // namespace portcullis::http
