// Fuzz target: TRUST_PROXY values, X-Forwarded-For chains and CIDR / IP text (util/trust_proxy,
// util/cidr, util/ip_address). The input is split at NUL bytes into the setting, the socket
// address and the header. Parsing never crashes; the client IP is always one of the chain's
// entries (or the socket address); addresses and ranges print in a form that parses back to the
// same value.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.hpp"
#include "util/cidr.hpp"
#include "util/ip_address.hpp"
#include "util/trust_proxy.hpp"

namespace {
using namespace portcullis;

std::string_view next_part(std::string_view& rest) {
    const auto nul = rest.find('\0');
    const auto part = rest.substr(0, nul);
    rest = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);
    return part;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    const auto setting = next_part(rest);
    const auto socket_address = next_part(rest);
    const auto forwarded_for = next_part(rest);

    std::string error;
    const auto trust = util::parse_trust_proxy(setting, error);
    FUZZ_CHECK(trust.has_value() == error.empty());
    const auto client = util::derive_client_ip(trust.value_or(util::TrustProxy::loopback()),
                                               socket_address, forwarded_for);
    // The answer is the socket address or an entry of the header, as received (trimmed).
    FUZZ_CHECK(client == socket_address || forwarded_for.find(client) != std::string_view::npos);

    for (const auto text : {setting, socket_address, forwarded_for}) {
        if (const auto ip = util::parse_ip(text)) {
            const auto again = util::parse_ip(util::to_string(*ip));
            FUZZ_CHECK(again && *again == *ip);
            FUZZ_CHECK(util::contains(util::host_range(*ip), *ip));
        }
        if (const auto range = util::parse_cidr(text)) {
            const auto again = util::parse_cidr(util::to_string(*range));
            FUZZ_CHECK(again && *again == *range);
            FUZZ_CHECK(util::contains(*range, range->network));
        }
    }
    return 0;
}
