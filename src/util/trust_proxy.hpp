// The TRUST_PROXY setting and client-IP derivation exactly as Express/proxy-addr do it
// (contract 2.4).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/cidr.hpp"

namespace portcullis::util {

struct TrustProxy {
    enum class Kind { nothing, everything, hops, ranges };
    Kind kind = Kind::ranges;
    int hops = 0;              // Kind::hops: positions 0..hops-1 of the chain are trusted
    std::vector<Cidr> ranges;  // Kind::ranges

    static TrustProxy loopback();  // the default: 127.0.0.1/8 and ::1/128
};

// Parses the raw variable. On an invalid entry returns nullopt and sets `error` to
// `invalid IP address: <entry>`.
std::optional<TrustProxy> parse_trust_proxy(std::string_view raw, std::string& error);

// The client IP for a request: `socket_address` as the connection reports it (e.g.
// `::ffff:127.0.0.1`) and `forwarded_for` the X-Forwarded-For value (several header lines joined
// by ", "; empty when absent). Returns the chosen entry's text as received.
std::string derive_client_ip(const TrustProxy& trust, std::string_view socket_address,
                             std::string_view forwarded_for);

}  // namespace portcullis::util
