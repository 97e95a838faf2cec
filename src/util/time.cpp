// See time.hpp. Uses gmtime_r: thread-safe and independent of the process time zone.
#include "util/time.hpp"

#include <cstdio>
#include <ctime>

namespace portcullis::util {
namespace {
std::tm utc_parts(SystemTime time) {
    const std::time_t seconds =
        std::chrono::system_clock::to_time_t(std::chrono::floor<std::chrono::seconds>(time));
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    return parts;
}
}  // namespace

std::int64_t epoch_ms(SystemTime time) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
}

std::string format_iso8601_ms(SystemTime time) {
    const std::tm t = utc_parts(time);
    const auto ms = epoch_ms(time) % 1000;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900,
                  t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                  static_cast<int>(ms < 0 ? ms + 1000 : ms));
    return buf;
}

std::string format_http_date(SystemTime time) {
    const std::tm t = utc_parts(time);
    char buf[40];
    std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &t);
    return buf;
}

}  // namespace portcullis::util
