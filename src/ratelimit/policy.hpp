// Rate-limit arithmetic of contract section 6 with decisions B.5 and B.6, as pure functions fed
// the time: limits from RPM and window, client keys, fixed-window counting and the RateLimit-*
// header values. The stores (Redis, in-memory) and the middleware build on these.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::ratelimit {

using Clock = std::chrono::steady_clock;

// `max(1, ceil(rpm * window_seconds / 60))` in double precision (contract 6.1).
std::int64_t limit_for(double rpm, double window_seconds);

// The key of a client (decisions B.6): an IPv4 client, also written as `::ffff:a.b.c.d`, by its
// IPv4 address; an IPv6 client by its /56 network in canonical form followed by `/56`; anything
// else verbatim.
std::string client_key(std::string_view client_ip);

// The store key: prefix, `:`, client key (decisions B.6), e.g. `rate-limit:global:203.0.113.5`.
std::string store_key(std::string_view prefix, std::string_view client_key);

// One fixed window (contract 6.3): starts at a key's first hit, counts every hit (blocked ones
// too), and ends `window` later.
struct Window {
    std::int64_t count = 0;
    Clock::time_point resets_at{};
};

struct Decision {
    bool allowed = true;
    std::int64_t limit = 0;
    std::int64_t remaining = 0;      // max(0, limit - count)
    std::int64_t reset_seconds = 0;  // max(0, ceil(ms left / 1000))
};

// Counts one hit at `now` into `window` (starting a new one when none is live) and decides.
Decision hit(Window& window, std::int64_t limit, std::chrono::milliseconds length,
             Clock::time_point now);

// The decision for a store that returned (count, ms until the window ends), as Redis does.
Decision decide(std::int64_t count, std::int64_t limit, std::int64_t ms_left);

// `RateLimit-Policy`: `<limit>;w=<ceil(window seconds)>`.
std::string policy_header(std::int64_t limit, double window_seconds);

}  // namespace portcullis::ratelimit
