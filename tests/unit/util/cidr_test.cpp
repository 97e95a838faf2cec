// Pins CIDR parsing (explicit prefix, normalization) and membership across families.
#include "util/cidr.hpp"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::util {
namespace {

std::string normalized(std::string_view text) {
    const auto range = parse_cidr(text);
    return range ? to_string(*range) : "<invalid>";
}

bool in(std::string_view range_text, std::string_view address_text) {
    const auto range = parse_cidr(range_text);
    const auto address = parse_ip(address_text);
    EXPECT_TRUE(range) << range_text;
    EXPECT_TRUE(address) << address_text;
    return range && address && contains(*range, *address);
}

TEST(Cidr, ParsesAndClearsHostBits) {
    const auto range = parse_cidr("10.1.2.3/8");
    ASSERT_TRUE(range);
    EXPECT_FALSE(range->network.v6);
    EXPECT_EQ(range->prefix, 8);
    EXPECT_EQ(*range, *parse_cidr("10.0.0.0/8"));
    EXPECT_EQ(normalized("172.31.255.255/12"), "172.16.0.0/12");
    EXPECT_EQ(normalized("192.168.1.77/32"), "192.168.1.77/32");
    EXPECT_EQ(normalized("2001:db8:abcd::1/32"), "2001:db8::/32");
    EXPECT_EQ(normalized("fe80::1/10"), "fe80::/10");
    EXPECT_EQ(normalized("1.2.3.4/0"), "0.0.0.0/0");
    EXPECT_EQ(normalized("ffff::/0"), "::/0");
    EXPECT_EQ(normalized("10.0.0.0/008"), "10.0.0.0/8");
}

TEST(Cidr, StoresMappedNetworksAsIpv4) {
    const auto range = parse_cidr("::ffff:10.0.0.0/104");
    ASSERT_TRUE(range);
    EXPECT_FALSE(range->network.v6);
    EXPECT_EQ(range->prefix, 8);
    EXPECT_EQ(*range, *parse_cidr("10.0.0.0/8"));
    EXPECT_EQ(normalized("::ffff:192.0.2.1/128"), "192.0.2.1/32");
    EXPECT_EQ(normalized("::ffff:0:0/96"), "0.0.0.0/0");
    EXPECT_EQ(normalized("::ffff:10.0.0.0/80"), "::/80");  // wider than the mapped block: IPv6
}

TEST(Cidr, RejectsInvalidForms) {
    for (const char* text : {"10.0.0.1",
                             "::1",
                             "10.0.0.0/33",
                             "::/129",
                             "::ffff:10.0.0.0/129",
                             " 10.0.0.0/8",
                             "10.0.0.0/8 ",
                             "10.0.0.0/ 8",
                             "10.0.0.0 /8",
                             "10.0.0.0/",
                             "/8",
                             "10.0.0.0/+8",
                             "10.0.0.0/-1",
                             "10.0.0.0/8/8",
                             "10.0.0.0/255.0.0.0",
                             "10.0.0.0/0x8",
                             "abc/8",
                             "",
                             "10.0.0/8",
                             "10.0.0.0/99999999999"}) {
        EXPECT_FALSE(parse_cidr(text)) << text;
    }
}

TEST(Cidr, MatchesIpv4) {
    EXPECT_TRUE(in("203.0.113.0/24", "203.0.113.9"));
    EXPECT_TRUE(in("203.0.113.0/24", "203.0.113.255"));
    EXPECT_FALSE(in("203.0.113.0/24", "203.0.114.1"));
    EXPECT_TRUE(in("172.16.0.0/12", "172.31.255.255"));
    EXPECT_FALSE(in("172.16.0.0/12", "172.32.0.0"));
    EXPECT_TRUE(in("192.0.2.7/32", "192.0.2.7"));
    EXPECT_FALSE(in("192.0.2.7/32", "192.0.2.6"));
}

TEST(Cidr, MatchesIpv6) {
    EXPECT_TRUE(in("2001:db8::/32", "2001:db8:ffff::1"));
    EXPECT_FALSE(in("2001:db8::/32", "2001:db9::"));
    EXPECT_TRUE(in("fe80::/10", "febf::1"));
    EXPECT_FALSE(in("fe80::/10", "fec0::1"));
    EXPECT_TRUE(in("::1/128", "::1"));
    EXPECT_FALSE(in("::1/128", "::2"));
    EXPECT_FALSE(in("2001:db8::/32", "32.1.13.184"));  // 2001:0db8 as IPv4 bytes: no match
}

TEST(Cidr, ComparesMappedAddressesAsIpv4) {
    EXPECT_TRUE(in("10.0.0.0/8", "::ffff:10.1.2.3"));
    EXPECT_FALSE(in("10.0.0.0/8", "::ffff:11.1.2.3"));
    EXPECT_TRUE(in("::ffff:10.0.0.0/104", "10.1.2.3"));
    EXPECT_TRUE(in("::ffff:10.0.0.0/104", "::ffff:10.1.2.3"));
    EXPECT_FALSE(in("::ffff:10.0.0.0/104", "11.0.0.1"));
    EXPECT_TRUE(in("127.0.0.1/8", "::ffff:127.0.0.1"));
    // Only the mapped form unmaps: IPv4-compatible (::a.b.c.d) and plain IPv6 stay IPv6.
    EXPECT_FALSE(in("10.0.0.0/8", "::10.1.2.3"));
    EXPECT_FALSE(in("0.0.0.0/0", "2001:db8::1"));
}

TEST(Cidr, PrefixZeroMatchesItsWholeFamily) {
    EXPECT_TRUE(in("0.0.0.0/0", "198.51.100.1"));
    EXPECT_TRUE(in("0.0.0.0/0", "::ffff:198.51.100.1"));
    EXPECT_TRUE(in("::/0", "2001:db8::1"));
    // An IPv6 range holds an IPv4 client when it holds the client's mapped form, as proxy-addr
    // does.
    EXPECT_TRUE(in("::/0", "198.51.100.1"));
    EXPECT_FALSE(in("2001:db8::/32", "198.51.100.1"));
}

TEST(Cidr, HostRangeIsSingleAddress) {
    EXPECT_EQ(to_string(host_range(*parse_ip("192.0.2.1"))), "192.0.2.1/32");
    EXPECT_EQ(to_string(host_range(*parse_ip("2001:db8::1"))), "2001:db8::1/128");
    EXPECT_EQ(to_string(host_range(*parse_ip("::ffff:192.0.2.1"))), "192.0.2.1/32");
    EXPECT_TRUE(contains(host_range(*parse_ip("192.0.2.1")), *parse_ip("::ffff:192.0.2.1")));
    EXPECT_FALSE(contains(host_range(*parse_ip("192.0.2.1")), *parse_ip("192.0.2.2")));
}

TEST(Cidr, MakeCidrChecksPrefixRange) {
    EXPECT_FALSE(make_cidr(*parse_ip("10.0.0.0"), 33));
    EXPECT_FALSE(make_cidr(*parse_ip("10.0.0.0"), -1));
    EXPECT_FALSE(make_cidr(*parse_ip("::"), 129));
    EXPECT_TRUE(make_cidr(*parse_ip("::"), 128));
}

}  // namespace
}  // namespace portcullis::util
