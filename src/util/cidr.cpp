// CIDR parsing and membership. Ranges are normalized once at parse time so that matching is a
// plain prefix comparison on the hot path.
#include "util/cidr.hpp"

namespace portcullis::util {
namespace {

bool is_v4_mapped_prefix(const IpAddress& address) {
    return address.v6 && unmap_ipv4(address) != address;
}

IpAddress map_ipv4(const IpAddress& v4) {
    IpAddress mapped;
    mapped.v6 = true;
    mapped.bytes[10] = 0xff;
    mapped.bytes[11] = 0xff;
    for (std::size_t i = 0; i < 4; ++i) {
        mapped.bytes[12 + i] = v4.bytes[i];
    }
    return mapped;
}

std::uint8_t high_bits_mask(int bits) {
    return static_cast<std::uint8_t>(0xffU << static_cast<unsigned>(8 - bits));
}

bool same_prefix(const IpAddress& a, const IpAddress& b, int prefix) {
    const auto whole = static_cast<std::size_t>(prefix / 8);
    for (std::size_t i = 0; i < whole; ++i) {
        if (a.bytes[i] != b.bytes[i]) {
            return false;
        }
    }
    const int rest = prefix % 8;
    return rest == 0 || ((a.bytes[whole] ^ b.bytes[whole]) & high_bits_mask(rest)) == 0;
}

// Decimal digits only (leading zeros allowed, as proxy-addr does); nullopt above 128.
std::optional<int> parse_prefix(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    int value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9') {
            return std::nullopt;
        }
        value = value * 10 + (c - '0');
        if (value > 128) {
            return std::nullopt;
        }
    }
    return value;
}

}  // namespace

std::optional<Cidr> make_cidr(const IpAddress& address, int prefix) {
    Cidr range{address, prefix};
    if (is_v4_mapped_prefix(address) && prefix >= 96) {
        range = Cidr{unmap_ipv4(address), prefix - 96};
    }
    const int max = range.network.v6 ? 128 : 32;
    if (range.prefix < 0 || range.prefix > max) {
        return std::nullopt;
    }
    const auto whole = static_cast<std::size_t>(range.prefix / 8);
    const int rest = range.prefix % 8;
    for (std::size_t i = whole; i < range.network.bytes.size(); ++i) {
        const std::uint8_t keep =
            (i == whole && rest != 0) ? high_bits_mask(rest) : std::uint8_t{0};
        range.network.bytes[i] = static_cast<std::uint8_t>(range.network.bytes[i] & keep);
    }
    return range;
}

std::optional<Cidr> parse_cidr(std::string_view text) {
    const auto slash = text.find('/');
    if (slash == std::string_view::npos) {
        return std::nullopt;
    }
    const auto address = parse_ip(text.substr(0, slash));
    const auto prefix = parse_prefix(text.substr(slash + 1));
    if (!address || !prefix) {
        return std::nullopt;
    }
    return make_cidr(*address, *prefix);
}

Cidr host_range(const IpAddress& address) {
    return *make_cidr(address, address.v6 ? 128 : 32);
}

bool contains(const Cidr& range, const IpAddress& address) {
    IpAddress candidate = unmap_ipv4(address);
    if (range.network.v6 && !candidate.v6) {
        candidate = map_ipv4(candidate);
    }
    if (range.network.v6 != candidate.v6) {
        return false;
    }
    return same_prefix(range.network, candidate, range.prefix);
}

std::string to_string(const Cidr& range) {
    return to_string(range.network) + '/' + std::to_string(range.prefix);
}

}  // namespace portcullis::util
