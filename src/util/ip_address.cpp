// IP address parsing (glibc inet_pton, which is strict: no leading zeros in IPv4, no zone ids) and
// RFC 5952 formatting.
#include "util/ip_address.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace portcullis::util {
namespace {

// The longest valid text is a full IPv6 address with an embedded IPv4 tail (INET6_ADDRSTRLEN - 1).
constexpr std::size_t kMaxTextLength = 45;

bool is_v4_mapped(const IpAddress& address) {
    if (!address.v6) {
        return false;
    }
    for (std::size_t i = 0; i < 10; ++i) {
        if (address.bytes[i] != 0) {
            return false;
        }
    }
    return address.bytes[10] == 0xff && address.bytes[11] == 0xff;
}

void append_dotted(std::string& out, const std::uint8_t* octets) {
    for (std::size_t i = 0; i < 4; ++i) {
        if (i != 0) {
            out += '.';
        }
        out += std::to_string(octets[i]);
    }
}

void append_hex(std::string& out, unsigned value) {
    static constexpr char kDigits[] = "0123456789abcdef";
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
        const unsigned digit = (value >> static_cast<unsigned>(shift)) & 0xfU;
        if (digit != 0 || started || shift == 0) {
            out += kDigits[digit];
            started = true;
        }
    }
}

std::string format_v6(const IpAddress& address) {
    unsigned groups[8];
    for (std::size_t i = 0; i < 8; ++i) {
        groups[i] = (static_cast<unsigned>(address.bytes[2 * i]) << 8U) | address.bytes[2 * i + 1];
    }
    // RFC 5952 4.2: compress the longest run of two or more zero groups, the first on a tie.
    int best_start = -1;
    int best_length = 1;
    for (int i = 0; i < 8;) {
        int j = i;
        while (j < 8 && groups[j] == 0) {
            ++j;
        }
        if (j - i > best_length) {
            best_start = i;
            best_length = j - i;
        }
        i = j == i ? i + 1 : j;
    }
    std::string out;
    for (int i = 0; i < 8;) {
        if (i == best_start) {
            out += "::";
            i += best_length;
            continue;
        }
        if (!out.empty() && out.back() != ':') {
            out += ':';
        }
        append_hex(out, groups[i]);
        ++i;
    }
    return out;
}

}  // namespace

std::optional<IpAddress> parse_ip(std::string_view text) {
    if (text.empty() || text.size() > kMaxTextLength || text.find('\0') != std::string_view::npos) {
        return std::nullopt;
    }
    char buffer[kMaxTextLength + 1];
    std::memcpy(buffer, text.data(), text.size());
    buffer[text.size()] = '\0';

    IpAddress address;
    address.v6 = text.find(':') != std::string_view::npos;
    if (inet_pton(address.v6 ? AF_INET6 : AF_INET, buffer, address.bytes.data()) != 1) {
        return std::nullopt;
    }
    return address;
}

IpAddress unmap_ipv4(const IpAddress& address) {
    if (!is_v4_mapped(address)) {
        return address;
    }
    IpAddress v4;
    for (std::size_t i = 0; i < 4; ++i) {
        v4.bytes[i] = address.bytes[12 + i];
    }
    return v4;
}

std::string to_string(const IpAddress& address) {
    std::string out;
    if (!address.v6) {
        append_dotted(out, address.bytes.data());
        return out;
    }
    if (is_v4_mapped(address)) {
        out = "::ffff:";
        append_dotted(out, address.bytes.data() + 12);
        return out;
    }
    return format_v6(address);
}

}  // namespace portcullis::util
