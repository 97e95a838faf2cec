// Value grammars of the configuration; see parse.hpp for each rule and its source.
#include "config/parse.hpp"

#include <array>
#include <boost/url/parse.hpp>
#include <cmath>
#include <cstdlib>
#include <utility>

#include "util/js_text.hpp"
#include "util/strings.hpp"

namespace portcullis::config {
namespace {

constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1, JS Number.MAX_SAFE_INTEGER
constexpr std::size_t kMaxDurationLength = 100;         // the `ms` package refuses longer strings
constexpr double kMsPerDay = 86'400'000.0;

constexpr double kMsPerYear = 365.25 * kMsPerDay;

// Every spelling of one unit (unused slots empty) and its size in milliseconds or bytes.
struct Unit {
    std::array<std::string_view, 5> names;
    double multiplier;
};

// clang-format off
constexpr std::array<Unit, 7> kDurationUnits = {{
    {{"ms", "msec", "msecs", "millisecond", "milliseconds"}, 1},
    {{"s", "sec", "secs", "second", "seconds"}, 1000},
    {{"m", "min", "mins", "minute", "minutes"}, 60'000},
    {{"h", "hr", "hrs", "hour", "hours"}, 3'600'000},
    {{"d", "day", "days"}, kMsPerDay},
    {{"w", "week", "weeks"}, 7 * kMsPerDay},
    {{"y", "yr", "yrs", "year", "years"}, kMsPerYear},
}};

constexpr std::array<Unit, 6> kSizeUnits = {{
    {{"b"}, 1},
    {{"kb"}, 1024.0},
    {{"mb"}, 1024.0 * 1024},
    {{"gb"}, 1024.0 * 1024 * 1024},
    {{"tb"}, 1024.0 * 1024 * 1024 * 1024},
    {{"pb"}, 1024.0 * 1024 * 1024 * 1024 * 1024},
}};
// clang-format on

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

std::size_t count_digits(std::string_view text, std::size_t& i) {
    const std::size_t start = i;
    while (i < text.size() && is_digit(text[i])) {
        ++i;
    }
    return i - start;
}

template <std::size_t N>
std::optional<double> find_unit(std::string_view unit, const std::array<Unit, N>& table) {
    const std::string lower = util::to_lower(unit);
    for (const auto& entry : table) {
        for (const auto name : entry.names) {
            if (!name.empty() && name == lower) {
                return entry.multiplier;
            }
        }
    }
    return std::nullopt;
}

double to_double(std::string_view number) {
    const std::string copy(number);
    return std::strtod(copy.c_str(), nullptr);
}

bool is_display_name(std::string_view name) {
    while (!name.empty() && name.back() == ' ') {
        name.remove_suffix(1);
    }
    if (!name.empty() && name.front() == ' ') {
        return false;
    }
    for (const char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte == 0x7f || c == '<' || c == '>') {
            return false;
        }
    }
    const bool quoted = name.size() >= 2 && name.front() == '"' && name.back() == '"';
    const std::string_view inner = quoted ? name.substr(1, name.size() - 2) : name;
    return inner.find('"') == std::string_view::npos;
}

}  // namespace

std::string_view trim(std::string_view text) {
    return util::trim_js(text);
}

std::optional<double> parse_number(std::string_view text) {
    return util::parse_js_number(text);
}

std::optional<std::int64_t> parse_integer(std::string_view text) {
    const auto number = parse_number(text);
    if (!number || std::floor(*number) != *number || std::fabs(*number) > kMaxSafeInteger) {
        return std::nullopt;
    }
    return static_cast<std::int64_t>(*number);
}

bool parse_boolean(std::string_view text) {
    return util::to_lower(trim(text)) == "true";
}

std::vector<std::string> parse_list(std::string_view text) {
    std::vector<std::string> entries;
    while (true) {
        const auto comma = text.find(',');
        const std::string_view entry = trim(text.substr(0, comma));
        if (!entry.empty()) {
            entries.emplace_back(entry);
        }
        if (comma == std::string_view::npos) {
            return entries;
        }
        text.remove_prefix(comma + 1);
    }
}

std::optional<std::uint64_t> parse_byte_size(std::string_view text) {
    text = trim(text);
    std::size_t i = text.starts_with('+') ? 1 : 0;
    const std::size_t number_start = i;
    if (count_digits(text, i) == 0) {
        return std::nullopt;
    }
    if (i < text.size() && text[i] == '.') {
        ++i;
        if (count_digits(text, i) == 0) {
            return std::nullopt;
        }
    }
    const std::string_view number = text.substr(number_start, i - number_start);
    while (i < text.size() && text[i] == ' ') {
        ++i;
    }
    const std::string_view unit = text.substr(i);
    const auto multiplier = unit.empty() ? std::optional<double>(1) : find_unit(unit, kSizeUnits);
    if (!multiplier) {
        return std::nullopt;
    }
    const double bytes = std::floor(to_double(number) * *multiplier);
    if (!(bytes < 18446744073709551616.0)) {  // 2^64
        return std::nullopt;
    }
    return static_cast<std::uint64_t>(bytes);
}

ParsedDuration parse_duration(std::string_view text) {
    ParsedDuration result;
    result.problem = DurationProblem::unparsable;
    if (text.empty() || text.size() > kMaxDurationLength) {
        return result;
    }
    // The number is /-?(\d+)?\.?\d+/: digits, or optional digits, a dot and digits.
    std::size_t i = text.starts_with('-') ? 1 : 0;
    const std::size_t whole = count_digits(text, i);
    if (i < text.size() && text[i] == '.') {
        ++i;
        if (count_digits(text, i) == 0) {
            return result;
        }
    } else if (whole == 0) {
        return result;
    }
    const double number = to_double(text.substr(0, i));
    while (i < text.size() && text[i] == ' ') {
        ++i;
    }
    const std::string_view unit = text.substr(i);
    if (unit.empty()) {
        result.milliseconds = number;
        result.problem = DurationProblem::bare_number;
        return result;
    }
    if (const auto multiplier = find_unit(unit, kDurationUnits)) {
        result.milliseconds = number * *multiplier;
        result.problem = DurationProblem::none;
    }
    return result;
}

std::optional<std::chrono::milliseconds> parse_positive_duration(std::string_view name,
                                                                 std::string_view text,
                                                                 std::string& error) {
    const ParsedDuration parsed = parse_duration(text);
    const std::string prefix(name);
    switch (parsed.problem) {
        case DurationProblem::bare_number:
            error = prefix +
                    " must include a unit (e.g. \"900s\" or \"15m\"); a bare number is ambiguous";
            return std::nullopt;
        case DurationProblem::unparsable:
            error = prefix + " must be a duration such as \"15m\", \"12h\" or \"7d\"";
            return std::nullopt;
        case DurationProblem::none:
            break;
    }
    const double whole = std::floor(parsed.milliseconds);
    if (whole < 1) {
        error = prefix + " must be greater than zero";
        return std::nullopt;
    }
    if (whole >= 9.0e18) {
        error = prefix + " is too large";
        return std::nullopt;
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(whole));
}

bool is_valid_sender(std::string_view text) {
    if (util::is_valid_email(text)) {
        return true;
    }
    if (!text.ends_with('>')) {
        return false;
    }
    const auto open = text.rfind('<');
    if (open == std::string_view::npos) {
        return false;
    }
    return util::is_valid_email(text.substr(open + 1, text.size() - open - 2)) &&
           is_display_name(text.substr(0, open));
}

bool is_valid_url(std::string_view text) {
    const auto parsed = boost::urls::parse_uri(text);
    if (!parsed) {
        return false;
    }
    const auto path = parsed->encoded_path();
    return !parsed->has_authority() || path.empty() || path.starts_with('/');
}

std::string mask_url_password(std::string_view url) {
    const auto last_at = url.rfind('@');
    if (last_at == std::string_view::npos) {
        return std::string(url);
    }
    // Trust the parse only when its userinfo ends at the last `@`; any later `@` hints at a
    // password with an unencoded `#`, `?` or `/` that the parser cut short.
    if (const auto parsed = boost::urls::parse_uri(url); parsed && is_valid_url(url)) {
        const auto userinfo = parsed->encoded_userinfo();
        const auto userinfo_end =
            static_cast<std::size_t>(userinfo.data() - url.data()) + userinfo.size();
        if (parsed->has_userinfo() && userinfo_end == last_at) {
            if (!parsed->has_password()) {
                return std::string(url);
            }
            const auto password = parsed->encoded_password();
            const auto offset = static_cast<std::size_t>(password.data() - url.data());
            return std::string(url.substr(0, offset)) + "***" + std::string(url.substr(last_at));
        }
    }
    const auto scheme_end = url.find("://");
    const std::size_t start = scheme_end == std::string_view::npos ? 0 : scheme_end + 3;
    if (last_at < start) {
        return std::string(url);
    }
    return std::string(url.substr(0, start)) + "***" + std::string(url.substr(last_at));
}

}  // namespace portcullis::config
