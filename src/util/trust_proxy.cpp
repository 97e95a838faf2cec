// TRUST_PROXY parsing (the reference's string conversion, then proxy-addr's compile rules) and the
// per-request client-IP walk of proxy-addr/forwarded.
#include "util/trust_proxy.hpp"

#include <array>
#include <climits>
#include <cmath>
#include <cstdlib>

#include "util/js_text.hpp"
#include "util/strings.hpp"

namespace portcullis::util {
namespace {

void add_range(std::vector<Cidr>& ranges, std::string_view text) {
    ranges.push_back(*parse_cidr(text));
}

// proxy-addr's pre-defined names (case-sensitive, as there).
bool add_named(std::string_view name, std::vector<Cidr>& ranges) {
    if (name == "loopback") {
        add_range(ranges, "127.0.0.1/8");
        add_range(ranges, "::1/128");
    } else if (name == "linklocal") {
        add_range(ranges, "169.254.0.0/16");
        add_range(ranges, "fe80::/10");
    } else if (name == "uniquelocal") {
        add_range(ranges, "10.0.0.0/8");
        add_range(ranges, "172.16.0.0/12");
        add_range(ranges, "192.168.0.0/16");
        add_range(ranges, "fc00::/7");
    } else {
        return false;
    }
    return true;
}

// A contiguous IPv4 netmask (255.255.0.0) as a prefix length, as proxy-addr accepts it.
std::optional<int> netmask_prefix(std::string_view text) {
    const auto mask = parse_ip(text);
    if (!mask || mask->v6) {
        return std::nullopt;
    }
    std::uint32_t bits = 0;
    for (std::size_t i = 0; i < 4; ++i) {
        bits = (bits << 8U) | mask->bytes[i];
    }
    int prefix = 0;
    while (prefix < 32 && (bits & (0x80000000U >> static_cast<unsigned>(prefix))) != 0) {
        ++prefix;
    }
    if (prefix < 32 && (bits << static_cast<unsigned>(prefix)) != 0) {
        return std::nullopt;
    }
    return prefix;
}

// One entry: a name, an address (a host range) or `address/prefix` (or `/netmask` for IPv4).
// proxy-addr refuses a zero prefix, so this does too.
bool add_entry(std::string_view entry, std::vector<Cidr>& ranges) {
    if (add_named(entry, ranges)) {
        return true;
    }
    const auto slash = entry.rfind('/');
    const auto address = parse_ip(entry.substr(0, slash));
    if (!address) {
        return false;
    }
    if (slash == std::string_view::npos) {
        ranges.push_back(host_range(*address));
        return true;
    }
    std::optional<Cidr> range = parse_cidr(entry);
    if (!range && !address->v6) {
        if (const auto prefix = netmask_prefix(entry.substr(slash + 1))) {
            range = make_cidr(*address, *prefix);
        }
    }
    if (!range || range->prefix == 0) {
        return false;
    }
    ranges.push_back(*range);
    return true;
}

bool trusted_by_ranges(const std::vector<Cidr>& ranges, std::string_view text) {
    const auto address = parse_ip(text);
    if (!address) {
        return false;
    }
    for (const auto& range : ranges) {
        if (contains(range, *address)) {
            return true;
        }
    }
    return false;
}

// Walks X-Forwarded-For right to left as the `forwarded` package does: split on commas, spaces
// (only 0x20) trimmed from each entry's ends, empty entries skipped.
class ForwardedReverse {
public:
    explicit ForwardedReverse(std::string_view header) : rest_(header) {}

    std::optional<std::string_view> next() {
        while (!rest_.empty()) {
            const auto comma = rest_.rfind(',');
            std::string_view entry = rest_;
            if (comma == std::string_view::npos) {
                rest_ = {};
            } else {
                entry.remove_prefix(comma + 1);
                rest_ = rest_.substr(0, comma);
            }
            const auto first = entry.find_first_not_of(' ');
            if (first != std::string_view::npos) {
                const auto last = entry.find_last_not_of(' ');
                return entry.substr(first, last - first + 1);
            }
        }
        return std::nullopt;
    }

private:
    std::string_view rest_;
};

}  // namespace

TrustProxy TrustProxy::loopback() {
    TrustProxy trust;
    add_named("loopback", trust.ranges);
    return trust;
}

std::optional<TrustProxy> parse_trust_proxy(std::string_view raw, std::string& error) {
    const std::string_view value = trim_js(raw);
    const std::string lower = to_lower(value);
    TrustProxy trust;
    if (lower.empty() || lower == "false" || lower == "off" || lower == "no" || lower == "none") {
        trust.kind = TrustProxy::Kind::nothing;
        return trust;
    }
    if (lower == "true" || lower == "on" || lower == "yes") {
        trust.kind = TrustProxy::Kind::everything;
        return trust;
    }
    if (const auto number = parse_js_number(value)) {
        // Express trusts positions i < n, so a fractional n trusts ceil(n) positions.
        trust.kind = TrustProxy::Kind::hops;
        const double hops = std::ceil(*number);
        trust.hops = hops <= 0 ? 0 : hops >= INT_MAX ? INT_MAX : static_cast<int>(hops);
        return trust;
    }
    trust.kind = TrustProxy::Kind::ranges;
    std::string_view rest = value;
    while (true) {
        const auto comma = rest.find(',');
        const std::string_view entry = trim_js(rest.substr(0, comma));
        if (!entry.empty() && !add_entry(entry, trust.ranges)) {
            error = "invalid IP address: " + std::string(entry);
            return std::nullopt;
        }
        if (comma == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(comma + 1);
    }
    return trust;
}

std::string derive_client_ip(const TrustProxy& trust, std::string_view socket_address,
                             std::string_view forwarded_for) {
    // Chain position 0 is the socket address, then X-Forwarded-For right to left. As in proxy-addr,
    // the walk stops at the first untrusted position; when every position but the last is trusted,
    // the last (left-most) entry is the answer whatever its own trust.
    ForwardedReverse entries(forwarded_for);
    std::string_view current = socket_address;
    for (long position = 0;; ++position) {
        bool trusted = false;
        switch (trust.kind) {
            case TrustProxy::Kind::nothing:
                break;
            case TrustProxy::Kind::everything:
                trusted = true;
                break;
            case TrustProxy::Kind::hops:
                trusted = position < trust.hops;
                break;
            case TrustProxy::Kind::ranges:
                trusted = trusted_by_ranges(trust.ranges, current);
                break;
        }
        if (!trusted) {
            return std::string(current);
        }
        const auto next = entries.next();
        if (!next) {
            return std::string(current);
        }
        current = *next;
    }
}

}  // namespace portcullis::util
