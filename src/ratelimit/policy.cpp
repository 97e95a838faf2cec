// See policy.hpp.
#include "ratelimit/policy.hpp"

#include <algorithm>
#include <cmath>

#include "util/ip_address.hpp"

namespace portcullis::ratelimit {

std::int64_t limit_for(double rpm, double window_seconds) {
    const double raw = std::ceil(rpm * window_seconds / 60.0);
    if (!std::isfinite(raw) || raw < 1.0) return 1;
    return static_cast<std::int64_t>(raw);
}

std::string client_key(std::string_view client_ip) {
    const auto parsed = util::parse_ip(client_ip);
    if (!parsed) return std::string(client_ip);
    const util::IpAddress address = util::unmap_ipv4(*parsed);
    if (!address.v6) return util::to_string(address);
    util::IpAddress network = address;
    for (std::size_t i = 7; i < network.bytes.size(); ++i) network.bytes[i] = 0;  // keep 56 bits
    return util::to_string(network) + "/56";
}

std::string store_key(std::string_view prefix, std::string_view key) {
    std::string out(prefix);
    out += ':';
    out += key;
    return out;
}

Decision decide(std::int64_t count, std::int64_t limit, std::int64_t ms_left) {
    Decision d;
    d.limit = limit;
    d.allowed = count <= limit;
    d.remaining = std::max<std::int64_t>(0, limit - count);
    d.reset_seconds = std::max<std::int64_t>(0, (ms_left + 999) / 1000);
    return d;
}

Decision hit(Window& window, std::int64_t limit, std::chrono::milliseconds length,
             Clock::time_point now) {
    if (window.count == 0 || now >= window.resets_at) {
        window.count = 0;
        window.resets_at = now + length;
    }
    ++window.count;
    const auto ms_left =
        std::chrono::duration_cast<std::chrono::milliseconds>(window.resets_at - now).count();
    return decide(window.count, limit, ms_left);
}

std::string policy_header(std::int64_t limit, double window_seconds) {
    return std::to_string(limit) +
           ";w=" + std::to_string(static_cast<std::int64_t>(std::ceil(window_seconds)));
}

}  // namespace portcullis::ratelimit
