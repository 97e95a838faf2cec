// Pins IP parsing (inet_pton strictness) and RFC 5952 formatting.
#include "util/ip_address.hpp"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::util {
namespace {

std::string canonical(std::string_view text) {
    const auto address = parse_ip(text);
    return address ? to_string(*address) : "<invalid>";
}

TEST(IpAddress, ParsesIpv4) {
    const auto address = parse_ip("192.0.2.1");
    ASSERT_TRUE(address);
    EXPECT_FALSE(address->v6);
    EXPECT_EQ(address->bytes[0], 192);
    EXPECT_EQ(address->bytes[3], 1);
    EXPECT_EQ(address->bytes[4], 0);
    EXPECT_EQ(to_string(*address), "192.0.2.1");
    EXPECT_EQ(canonical("0.0.0.0"), "0.0.0.0");
    EXPECT_EQ(canonical("255.255.255.255"), "255.255.255.255");
}

TEST(IpAddress, ParsesIpv6) {
    const auto address = parse_ip("::1");
    ASSERT_TRUE(address);
    EXPECT_TRUE(address->v6);
    EXPECT_EQ(address->bytes[15], 1);
    EXPECT_EQ(canonical("2001:DB8::1"), "2001:db8::1");
    EXPECT_EQ(canonical("1:2:3:4:5:6:1.2.3.4"), "1:2:3:4:5:6:102:304");
}

TEST(IpAddress, RejectsMalformedText) {
    for (const char* text : {"",
                             "1.2.3",
                             "1.2.3.4.5",
                             "256.1.1.1",
                             "01.2.3.4",
                             "1.2.3.04",
                             " 1.2.3.4",
                             "1.2.3.4 ",
                             "1.2.3.4/32",
                             "[::1]",
                             "fe80::1%eth0",
                             "::g",
                             "1::2::3",
                             "1:2:3:4:5:6:7:8:9",
                             "12345::",
                             "abc",
                             "localhost",
                             "0x7f.0.0.1",
                             "2130706433",
                             "::ffff:1.2.3",
                             "1.2.3.4:80"}) {
        EXPECT_FALSE(parse_ip(text)) << text;
    }
    EXPECT_FALSE(parse_ip(std::string_view("1.2.3.4\0", 8)));
    EXPECT_FALSE(parse_ip(std::string(100, '1')));
}

TEST(IpAddress, FormatsRfc5952) {
    EXPECT_EQ(canonical("2001:0db8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
    EXPECT_EQ(canonical("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");     // first of equal runs
    EXPECT_EQ(canonical("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");           // longest run
    EXPECT_EQ(canonical("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");  // one zero: no ::
    EXPECT_EQ(canonical("0:0:0:0:0:0:0:0"), "::");
    EXPECT_EQ(canonical("0:0:0:0:0:0:0:1"), "::1");
    EXPECT_EQ(canonical("1:0:0:0:0:0:0:0"), "1::");
    EXPECT_EQ(canonical("FE80:0:0:0:0:0:0:00AB"), "fe80::ab");
    EXPECT_EQ(canonical("ABCD:EF01:2345:6789:ABCD:EF01:2345:6789"),
              "abcd:ef01:2345:6789:abcd:ef01:2345:6789");
    EXPECT_EQ(canonical("1:0:2:0:3:0:4:0"), "1:0:2:0:3:0:4:0");
}

TEST(IpAddress, FormatsMappedAddressesWithDottedTail) {
    EXPECT_EQ(canonical("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
    EXPECT_EQ(canonical("::FFFF:0102:0304"), "::ffff:1.2.3.4");
    EXPECT_EQ(canonical("0:0:0:0:0:ffff:7f00:1"), "::ffff:127.0.0.1");
    // Only the mapped prefix gets mixed notation; the deprecated compatible form does not.
    EXPECT_EQ(canonical("::1.2.3.4"), "::102:304");
    EXPECT_EQ(canonical("::fffe:1.2.3.4"), "::fffe:102:304");
}

TEST(IpAddress, UnmapsOnlyMappedAddresses) {
    const auto mapped = parse_ip("::ffff:127.0.0.1");
    ASSERT_TRUE(mapped);
    EXPECT_EQ(unmap_ipv4(*mapped), *parse_ip("127.0.0.1"));
    EXPECT_EQ(unmap_ipv4(*parse_ip("::1")), *parse_ip("::1"));
    EXPECT_EQ(unmap_ipv4(*parse_ip("::1.2.3.4")), *parse_ip("::1.2.3.4"));
    EXPECT_EQ(unmap_ipv4(*parse_ip("10.0.0.1")), *parse_ip("10.0.0.1"));
}

}  // namespace
}  // namespace portcullis::util
