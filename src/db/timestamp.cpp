// See timestamp.hpp. Calendar math through std::chrono (no time-zone database, no locale).
#include "db/timestamp.hpp"

#include <charconv>
#include <cstdio>

namespace portcullis::db {
namespace chr = std::chrono;

std::string to_sql_timestamp(SystemTime time) {
    const auto ms = chr::floor<chr::milliseconds>(time);
    const auto day = chr::floor<chr::days>(ms);
    const chr::year_month_day ymd{day};
    const chr::hh_mm_ss hms{ms - day};
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02u %02d:%02d:%02d.%03d",
                  static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()), static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()), static_cast<int>(hms.seconds().count()),
                  static_cast<int>(hms.subseconds().count()));
    return buf;
}

std::optional<SystemTime> from_sql_timestamp(std::string_view text) {
    // YYYY-MM-DD HH:MM:SS[.fff...]
    if (text.size() < 19 || text[4] != '-' || text[7] != '-' ||
        (text[10] != ' ' && text[10] != 'T') || text[13] != ':' || text[16] != ':') {
        return std::nullopt;
    }
    auto number = [&](std::size_t pos, std::size_t len, int& out) {
        const auto* first = text.data() + pos;
        const auto result = std::from_chars(first, first + len, out);
        return result.ec == std::errc() && result.ptr == first + len;
    };
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (!number(0, 4, y) || !number(5, 2, mo) || !number(8, 2, d) || !number(11, 2, h) ||
        !number(14, 2, mi) || !number(17, 2, s)) {
        return std::nullopt;
    }
    int ms = 0;
    if (text.size() > 19 && text[19] == '.') {
        int scale = 100;
        for (std::size_t i = 20; i < text.size() && i < 23; ++i) {
            if (text[i] < '0' || text[i] > '9') return std::nullopt;
            ms += (text[i] - '0') * scale;
            scale /= 10;
        }
    }
    const chr::year_month_day ymd{chr::year{y}, chr::month{static_cast<unsigned>(mo)},
                                  chr::day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return std::nullopt;
    return SystemTime{chr::sys_days{ymd}} + chr::hours{h} + chr::minutes{mi} + chr::seconds{s} +
           chr::milliseconds{ms};
}

}  // namespace portcullis::db
