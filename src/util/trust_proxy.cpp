// TRUST_PROXY parsing (the reference's string conversion, then proxy-addr's compile rules) and the
// per-request client-IP walk of proxy-addr/forwarded.
#include "util/trust_proxy.hpp"

#include <array>
#include <climits>
#include <cmath>
#include <cstdlib>

#include "util/strings.hpp"

namespace portcullis::util {
namespace {

// UTF-8 forms of the non-ASCII characters JavaScript's trim() removes.
constexpr std::array<std::string_view, 16> kUnicodeSpaces = {
    "\u00a0", "\u1680", "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005",
    "\u2006", "\u2007", "\u2008", "\u2009", "\u200a", "\u2028", "\u2029", "\u202f",
};
constexpr std::array<std::string_view, 3> kMoreUnicodeSpaces = {"\u205f", "\u3000", "\ufeff"};

bool is_ascii_space(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

// Byte length of the white-space character at the front (or back) of `text`, 0 if none.
std::size_t space_length(std::string_view text, bool at_back) {
    if (text.empty()) {
        return 0;
    }
    if (is_ascii_space(at_back ? text.back() : text.front())) {
        return 1;
    }
    auto matches = [&](std::string_view space) {
        return at_back ? text.ends_with(space) : text.starts_with(space);
    };
    for (const auto space : kUnicodeSpaces) {
        if (matches(space)) {
            return space.size();
        }
    }
    for (const auto space : kMoreUnicodeSpaces) {
        if (matches(space)) {
            return space.size();
        }
    }
    return 0;
}

bool is_digit(char c, int base) {
    if (base <= 10) {
        return c >= '0' && c < '0' + base;
    }
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int digit_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    return (c | 0x20) - 'a' + 10;
}

// JS NonDecimalIntegerLiteral: 0x, 0o or 0b then at least one digit; no sign allowed.
std::optional<double> parse_prefixed_integer(std::string_view text, int base) {
    if (text.empty()) {
        return std::nullopt;
    }
    double value = 0;
    for (const char c : text) {
        if (!is_digit(c, base)) {
            return std::nullopt;
        }
        value = value * base + digit_value(c);
    }
    return std::isfinite(value) ? std::optional<double>(value) : std::nullopt;
}

// JS StrDecimalLiteral without Infinity: [+-] digits [. digits] [e [+-] digits], or [+-] . digits
// ...
bool is_decimal_literal(std::string_view text) {
    std::size_t i = 0;
    auto digits = [&] {
        const std::size_t start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            ++i;
        }
        return i - start;
    };
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
        ++i;
    }
    std::size_t mantissa = digits();
    if (i < text.size() && text[i] == '.') {
        ++i;
        mantissa += digits();
    }
    if (mantissa == 0) {
        return false;
    }
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
            ++i;
        }
        if (digits() == 0) {
            return false;
        }
    }
    return i == text.size();
}

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

std::string_view trim_js(std::string_view text) {
    while (const auto n = space_length(text, false)) {
        text.remove_prefix(n);
    }
    while (const auto n = space_length(text, true)) {
        text.remove_suffix(n);
    }
    return text;
}

std::optional<double> parse_js_number(std::string_view text) {
    text = trim_js(text);
    if (text.empty()) {
        return 0.0;
    }
    if (text.size() > 2 && text[0] == '0') {
        const char marker = static_cast<char>(text[1] | 0x20);
        const int base = marker == 'x' ? 16 : marker == 'o' ? 8 : marker == 'b' ? 2 : 0;
        if (base != 0) {
            return parse_prefixed_integer(text.substr(2), base);
        }
    }
    if (!is_decimal_literal(text)) {
        return std::nullopt;
    }
    const std::string copy(text);
    const double value = std::strtod(copy.c_str(), nullptr);
    return std::isfinite(value) ? std::optional<double>(value) : std::nullopt;
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
