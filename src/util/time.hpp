// Time formatting shared by logs, JSON bodies and HTTP headers.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace portcullis::util {

using SystemTime = std::chrono::system_clock::time_point;

// `2026-11-28T22:50:29.281Z` (UTC, milliseconds), the format of every timestamp we emit.
std::string format_iso8601_ms(SystemTime time);

// RFC 7231 IMF-fixdate for the `Date` header: `Sat, 28 Nov 2026 22:50:29 GMT`.
std::string format_http_date(SystemTime time);

std::int64_t epoch_ms(SystemTime time);

}  // namespace portcullis::util
