// Value grammars of the configuration (contract 2.1, 2.2, 4.1 and 5.2; decisions B.12, B.14): JS
// number coercion, booleans, lists, byte sizes, durations, e-mail addresses, URL masking.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::config {

// JavaScript trim(): ASCII and Unicode white space.
std::string_view trim(std::string_view text);

// JavaScript Number(text), finite results only: "" and blank are 0, `1e3`, `0x10`, `0o7`, `0b1`
// accepted; `abc`, `Infinity` and NaN give nullopt.
std::optional<double> parse_number(std::string_view text);

// Number(text) when it is an integer within +-2^53; nullopt otherwise.
std::optional<std::int64_t> parse_integer(std::string_view text);

// True only when the trimmed, lower-cased value is exactly `true`.
bool parse_boolean(std::string_view text);

// Split on `,`, every entry trimmed, empty entries dropped.
std::vector<std::string> parse_list(std::string_view text);

// Byte size (the `bytes` package grammar): a non-negative decimal number, optional spaces, an
// optional unit b/kb/mb/gb/tb/pb (1024-based, case-insensitive); the result is floored. Surrounding
// white space is trimmed. Nullopt when unparsable, negative or beyond 2^64.
std::optional<std::uint64_t> parse_byte_size(std::string_view text);

enum class DurationProblem { none, bare_number, unparsable };

struct ParsedDuration {
    double milliseconds = 0;  // may be fractional or negative; meaningful when problem is none
    DurationProblem problem = DurationProblem::none;
};

// The `ms` timespan grammar of contract 5.2: optional `-`, a decimal number, optional spaces, a
// unit (ms/msec(s)/millisecond(s), s/sec(s)/second(s), m/min(s)/minute(s), h/hr(s)/hour(s),
// d/day(s), w/week(s), y/yr(s)/year(s); a year is 365.25 days), case-insensitive, at most 100
// characters, no surrounding white space. A number without a unit is reported as bare_number
// (decisions B.14).
ParsedDuration parse_duration(std::string_view text);

// A token lifetime or other duration that must be positive: whole milliseconds (fractions floored,
// which keeps exp - iat = floor(ms / 1000)). On failure returns nullopt and sets `error` to a
// message naming `name` (a bare number, an unparsable value, zero or less, or too large).
std::optional<std::chrono::milliseconds> parse_positive_duration(std::string_view name,
                                                                 std::string_view text,
                                                                 std::string& error);

// SMTP_FROM (decisions B.12): a bare address, or `Display Name <address>` (the name may be empty
// or double-quoted and holds no control characters, `<` or `>`). No surrounding white space.
bool is_valid_sender(std::string_view text);

// An absolute URI (scheme required) by Boost.URL's parse_uri, plus the RFC 3986 rule Boost 1.81
// misses: after an authority the path is empty or starts with `/` (so `redis://host:port` is
// refused).
bool is_valid_url(std::string_view text);

// `url` with the password of its userinfo replaced by `***` (`redis://:***@host:6379`). When the
// text is not a valid URL, or an `@` follows the userinfo (a password with an unencoded `#`, `?` or
// `/`), everything from `://` to the last `@` is masked instead: over-masking beats a leak.
std::string mask_url_password(std::string_view url);

}  // namespace portcullis::config
