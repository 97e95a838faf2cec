// Pins TRUST_PROXY parsing and client-IP derivation against contract 2.4 (Express/proxy-addr).
#include "util/trust_proxy.hpp"

#include <gtest/gtest.h>

#include <string>

namespace portcullis::util {
namespace {

TrustProxy parse(std::string_view raw) {
    std::string error;
    const auto trust = parse_trust_proxy(raw, error);
    EXPECT_TRUE(trust) << raw << ": " << error;
    return trust.value_or(TrustProxy{});
}

std::string parse_error(std::string_view raw) {
    std::string error;
    EXPECT_FALSE(parse_trust_proxy(raw, error)) << raw;
    return error;
}

std::string ip(std::string_view raw, std::string_view socket, std::string_view xff) {
    return derive_client_ip(parse(raw), socket, xff);
}

TEST(TrustProxy, ContractExamplesWithDefaultLoopback) {
    const TrustProxy trust = TrustProxy::loopback();
    EXPECT_EQ(derive_client_ip(trust, "::ffff:127.0.0.1", ""), "::ffff:127.0.0.1");
    EXPECT_EQ(derive_client_ip(trust, "::ffff:127.0.0.1", "203.0.113.9"), "203.0.113.9");
    EXPECT_EQ(derive_client_ip(trust, "::ffff:127.0.0.1", "198.51.100.1, 127.0.0.1"),
              "198.51.100.1");
    EXPECT_EQ(derive_client_ip(trust, "::ffff:127.0.0.1", "198.51.100.7, 10.0.0.1"), "10.0.0.1");
    EXPECT_EQ(derive_client_ip(trust, "127.0.0.1", "203.0.113.9"), "203.0.113.9");
    EXPECT_EQ(derive_client_ip(trust, "::1", "203.0.113.9"), "203.0.113.9");
    // An untrusted socket address is the client whatever the header says.
    EXPECT_EQ(derive_client_ip(trust, "::ffff:198.51.100.2", "203.0.113.9"), "::ffff:198.51.100.2");
}

TEST(TrustProxy, LoopbackFactoryHoldsBothFamilies) {
    const TrustProxy trust = TrustProxy::loopback();
    EXPECT_EQ(trust.kind, TrustProxy::Kind::ranges);
    ASSERT_EQ(trust.ranges.size(), 2U);
    EXPECT_EQ(to_string(trust.ranges[0]), "127.0.0.0/8");
    EXPECT_EQ(to_string(trust.ranges[1]), "::1/128");
    const auto parsed = parse("loopback");
    EXPECT_EQ(parsed.ranges, trust.ranges);
}

TEST(TrustProxy, FalseWordsTrustNothing) {
    for (const char* raw :
         {"", "   ", "false", "FALSE", "off", "Off", "no", "NO", "none", " None "}) {
        const TrustProxy trust = parse(raw);
        EXPECT_EQ(trust.kind, TrustProxy::Kind::nothing) << raw;
        EXPECT_EQ(derive_client_ip(trust, "127.0.0.1", "203.0.113.9"), "127.0.0.1") << raw;
    }
}

TEST(TrustProxy, TrueWordsTrustEverything) {
    for (const char* raw : {"true", "TRUE", "on", "On", "yes", " YES "}) {
        const TrustProxy trust = parse(raw);
        EXPECT_EQ(trust.kind, TrustProxy::Kind::everything) << raw;
        EXPECT_EQ(derive_client_ip(trust, "198.51.100.1", "203.0.113.1, 10.0.0.1, 10.0.0.2"),
                  "203.0.113.1");
        EXPECT_EQ(derive_client_ip(trust, "198.51.100.1", ""), "198.51.100.1");
    }
    // Words other than the listed ones are addresses, and `1` is a hop count, not `true`.
    EXPECT_EQ(parse("1").kind, TrustProxy::Kind::hops);
    EXPECT_EQ(parse_error("enabled"), "invalid IP address: enabled");
}

TEST(TrustProxy, NumbersAreHopCounts) {
    constexpr std::string_view kChain = "203.0.113.1, 10.0.0.1, 10.0.0.2";
    EXPECT_EQ(ip("1", "198.51.100.1", kChain), "10.0.0.2");
    EXPECT_EQ(ip("2", "198.51.100.1", kChain), "10.0.0.1");
    EXPECT_EQ(ip("3", "198.51.100.1", kChain), "203.0.113.1");
    EXPECT_EQ(ip("9", "198.51.100.1", kChain), "203.0.113.1");  // beyond the chain: left-most
    EXPECT_EQ(ip("1", "198.51.100.1", ""), "198.51.100.1");
    EXPECT_EQ(ip(" 2 ", "198.51.100.1", kChain), "10.0.0.1");
    EXPECT_EQ(ip("0x2", "198.51.100.1", kChain), "10.0.0.1");
    EXPECT_EQ(ip("2e0", "198.51.100.1", kChain), "10.0.0.1");
}

TEST(TrustProxy, ZeroAndNegativeHopsTrustNothing) {
    constexpr std::string_view kChain = "203.0.113.1, 10.0.0.2";
    for (const char* raw : {"0", "-1", "-0.5", "0.0"}) {
        const TrustProxy trust = parse(raw);
        EXPECT_EQ(trust.kind, TrustProxy::Kind::hops) << raw;
        EXPECT_EQ(trust.hops, 0) << raw;
        EXPECT_EQ(derive_client_ip(trust, "198.51.100.1", kChain), "198.51.100.1") << raw;
    }
}

TEST(TrustProxy, FractionalHopsTrustTheCeiling) {
    constexpr std::string_view kChain = "203.0.113.1, 10.0.0.1, 10.0.0.2";
    EXPECT_EQ(parse("1.5").hops, 2);
    EXPECT_EQ(ip("1.5", "198.51.100.1", kChain), "10.0.0.1");
    EXPECT_EQ(parse("0.5").hops, 1);
    EXPECT_EQ(ip("0.5", "198.51.100.1", kChain), "10.0.0.2");
    EXPECT_EQ(parse("1e300").hops, 2147483647);
}

TEST(TrustProxy, ListsOfEntries) {
    const TrustProxy trust = parse("loopback, 10.0.0.0/8 , ,192.168.1.5");
    EXPECT_EQ(trust.kind, TrustProxy::Kind::ranges);
    ASSERT_EQ(trust.ranges.size(), 4U);
    EXPECT_EQ(to_string(trust.ranges[2]), "10.0.0.0/8");
    EXPECT_EQ(to_string(trust.ranges[3]), "192.168.1.5/32");
    EXPECT_EQ(derive_client_ip(trust, "127.0.0.1", "203.0.113.5, 192.168.1.5, 10.9.9.9"),
              "203.0.113.5");
    EXPECT_EQ(derive_client_ip(trust, "127.0.0.1", "203.0.113.5, 192.168.1.6, 10.9.9.9"),
              "192.168.1.6");
    // A single survivor is a single entry; no survivors trust nothing.
    EXPECT_EQ(parse("10.0.0.1,").ranges, parse("10.0.0.1").ranges);
    const TrustProxy empty = parse(" , ,");
    EXPECT_TRUE(empty.ranges.empty());
    EXPECT_EQ(derive_client_ip(empty, "127.0.0.1", "203.0.113.5"), "127.0.0.1");
}

TEST(TrustProxy, NamedRanges) {
    EXPECT_EQ(ip("linklocal", "169.254.3.4", "203.0.113.5"), "203.0.113.5");
    EXPECT_EQ(ip("linklocal", "fe80::1", "203.0.113.5"), "203.0.113.5");
    EXPECT_EQ(ip("linklocal", "10.0.0.1", "203.0.113.5"), "10.0.0.1");
    for (const char* socket : {"10.1.1.1", "172.16.0.1", "172.31.0.1", "192.168.0.1", "fd00::1",
                               "fc00::1", "::ffff:10.1.1.1"}) {
        EXPECT_EQ(ip("uniquelocal", socket, "203.0.113.5"), "203.0.113.5") << socket;
    }
    for (const char* socket : {"172.32.0.1", "11.0.0.1", "fe00::1", "127.0.0.1"}) {
        EXPECT_EQ(ip("uniquelocal", socket, "203.0.113.5"), socket) << socket;
    }
    EXPECT_EQ(ip("loopback, uniquelocal", "127.0.0.1", "203.0.113.5, 10.0.0.3"), "203.0.113.5");
}

TEST(TrustProxy, Ipv6AndMappedEntries) {
    EXPECT_EQ(ip("2001:db8::/32", "2001:db8::5", "2001:db9::1, 2001:db8::7"), "2001:db9::1");
    EXPECT_EQ(ip("2001:db8::5", "2001:db8::5", "2001:DB8:0::9"), "2001:DB8:0::9");
    EXPECT_EQ(ip("10.0.0.0/8", "::ffff:10.0.0.2", "203.0.113.5"), "203.0.113.5");
    EXPECT_EQ(ip("::ffff:10.0.0.0/104", "10.0.0.3", "203.0.113.5"), "203.0.113.5");
    EXPECT_EQ(ip("::ffff:10.0.0.3", "10.0.0.3", "203.0.113.5"), "203.0.113.5");
    EXPECT_EQ(ip("::ffff:10.0.0.3", "10.0.0.4", "203.0.113.5"), "10.0.0.4");
}

TEST(TrustProxy, NetmaskNotationAsProxyAddrAcceptsIt) {
    EXPECT_EQ(parse("10.0.0.0/255.0.0.0").ranges, parse("10.0.0.0/8").ranges);
    EXPECT_EQ(parse_error("10.0.0.0/255.0.255.0"), "invalid IP address: 10.0.0.0/255.0.255.0");
    EXPECT_EQ(parse_error("10.0.0.0/0.0.0.0"), "invalid IP address: 10.0.0.0/0.0.0.0");
    EXPECT_EQ(parse_error("::/ffff::"), "invalid IP address: ::/ffff::");
}

TEST(TrustProxy, InvalidEntriesAreErrors) {
    EXPECT_EQ(parse_error("foo"), "invalid IP address: foo");
    EXPECT_EQ(parse_error("  foo  "), "invalid IP address: foo");
    EXPECT_EQ(parse_error("loopback, bogus ,10.0.0.1"), "invalid IP address: bogus");
    EXPECT_EQ(parse_error("Loopback"), "invalid IP address: Loopback");  // names are case-sensitive
    EXPECT_EQ(parse_error("10.0.0.0/33"), "invalid IP address: 10.0.0.0/33");
    EXPECT_EQ(parse_error("10.0.0.0/0"),
              "invalid IP address: 10.0.0.0/0");  // proxy-addr refuses /0
    EXPECT_EQ(parse_error("::/129"), "invalid IP address: ::/129");
    EXPECT_EQ(parse_error("Infinity"), "invalid IP address: Infinity");
    EXPECT_EQ(parse_error("NaN"), "invalid IP address: NaN");
    EXPECT_EQ(parse_error("1 2"), "invalid IP address: 1 2");
    EXPECT_EQ(parse_error("10.0.0.1 10.0.0.2"), "invalid IP address: 10.0.0.1 10.0.0.2");
}

TEST(TrustProxy, UnparsableChainEntryIsTheClientVerbatim) {
    const TrustProxy trust = TrustProxy::loopback();
    EXPECT_EQ(derive_client_ip(trust, "127.0.0.1", "203.0.113.5, not-an-ip"), "not-an-ip");
    EXPECT_EQ(derive_client_ip(trust, "127.0.0.1", "unknown, 127.0.0.2"), "unknown");
    EXPECT_EQ(derive_client_ip(trust, "127.0.0.1", "[::1]:443"), "[::1]:443");
    EXPECT_EQ(derive_client_ip(trust, "garbage", "203.0.113.5"), "garbage");
}

TEST(TrustProxy, AllTrustedGivesTheLeftMostEntry) {
    const TrustProxy trust = TrustProxy::loopback();
    EXPECT_EQ(derive_client_ip(trust, "127.0.0.1", "127.0.0.2, 127.0.0.3"), "127.0.0.2");
}

TEST(TrustProxy, ForwardedForSplittingAsTheForwardedPackage) {
    const TrustProxy trust = TrustProxy::loopback();
    EXPECT_EQ(derive_client_ip(trust, "127.0.0.1", "  203.0.113.9  "), "203.0.113.9");
    EXPECT_EQ(derive_client_ip(trust, "127.0.0.1", "203.0.113.9,,  ,"), "203.0.113.9");
    EXPECT_EQ(derive_client_ip(trust, "127.0.0.1", ",203.0.113.9"), "203.0.113.9");
    EXPECT_EQ(derive_client_ip(trust, "127.0.0.1", " , "), "127.0.0.1");
    EXPECT_EQ(derive_client_ip(trust, "127.0.0.1", "198.51.100.1,127.0.0.1"), "198.51.100.1");
    // Header lines joined by ", " read as one list.
    EXPECT_EQ(derive_client_ip(trust, "127.0.0.1", "198.51.100.1, 127.0.0.5, 127.0.0.6"),
              "198.51.100.1");
}

}  // namespace
}  // namespace portcullis::util
