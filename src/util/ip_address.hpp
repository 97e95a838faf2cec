// IP address parsing and formatting without sockets (inet_pton/inet_ntop semantics), shared by CIDR
// matching, trust-proxy evaluation and rate-limit keys.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::util {

struct IpAddress {
    bool v6 = false;
    std::array<std::uint8_t, 16> bytes{};  // IPv4 uses the first four bytes

    friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// Accepts dotted IPv4 and any RFC 4291 IPv6 text (including `::ffff:a.b.c.d`); no zone ids,
// no brackets, no surrounding whitespace. Returns nullopt for anything else.
std::optional<IpAddress> parse_ip(std::string_view text);

// An IPv4-mapped IPv6 address (::ffff:a.b.c.d) as plain IPv4; any other address unchanged.
IpAddress unmap_ipv4(const IpAddress& address);

// Dotted quad for IPv4; RFC 5952 canonical compressed form for IPv6 (lower-case, longest zero run
// compressed, mapped addresses written as ::ffff:a.b.c.d).
std::string to_string(const IpAddress& address);

}  // namespace portcullis::util
