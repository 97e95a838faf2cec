// CIDR ranges (`address/prefix`, IPv4 or IPv6) and membership tests, used by the metrics guard
// allowlist (decisions B.2) and the trust-proxy rules (contract 2.4).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "util/ip_address.hpp"

namespace portcullis::util {

struct Cidr {
    IpAddress network;  // host bits cleared; an IPv4-mapped network is stored as IPv4
    int prefix = 0;     // 0..32 for IPv4, 0..128 for IPv6

    friend bool operator==(const Cidr&, const Cidr&) = default;
};

// Requires an explicit `/prefix` (a bare address is not a CIDR). `::ffff:10.0.0.0/104` becomes
// `10.0.0.0/8`. Surrounding whitespace is not accepted.
std::optional<Cidr> parse_cidr(std::string_view text);

// The range of `prefix` bits around `address`: host bits cleared, an IPv4-mapped address with a
// prefix of 96 or more stored as IPv4. Nullopt when the prefix is out of range for the family.
std::optional<Cidr> make_cidr(const IpAddress& address, int prefix);

// A single address as a host range (/32 or /128).
Cidr host_range(const IpAddress& address);

// True when `address` lies in `range` after `address` is unmapped. An IPv4 range holds only IPv4
// (or IPv4-mapped) addresses; an IPv6 range holds an IPv4 address when it holds its mapped form
// (so `::/0` holds everything), as proxy-addr does.
bool contains(const Cidr& range, const IpAddress& address);

// `network/prefix` with the network in canonical form.
std::string to_string(const Cidr& range);

}  // namespace portcullis::util
