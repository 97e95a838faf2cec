// See js_text.hpp.
#include "util/js_text.hpp"

#include <array>
#include <cmath>
#include <cstdlib>
#include <string>

#include "util/strings.hpp"

namespace portcullis::util {
namespace {

// UTF-8 forms of the non-ASCII characters JavaScript's trim() removes.
constexpr std::array<std::string_view, 16> kUnicodeSpaces = {
    "\u00a0", "\u1680", "\u2000", "\u2001", "\u2002", "\u2003", "\u2004", "\u2005",
    "\u2006", "\u2007", "\u2008", "\u2009", "\u200a", "\u2028", "\u2029", "\u202f",
};
constexpr std::array<std::string_view, 3> kMoreUnicodeSpaces = {"\u205f", "\u3000", "\ufeff"};

bool is_ascii_space(char c) {
    return c == ' ' || (c >= '\t' && c <= '\r');
}

// Byte length of the white-space character at the front (or back) of `text`, 0 if none.
std::size_t space_length(std::string_view text, bool at_back) {
    if (text.empty()) {
        return 0;
    }
    if (is_ascii_space(at_back ? text.back() : text.front())) {
        return 1;
    }
    auto matches = [&](std::string_view space) {
        return at_back ? text.ends_with(space) : text.starts_with(space);
    };
    for (const auto space : kUnicodeSpaces) {
        if (matches(space)) {
            return space.size();
        }
    }
    for (const auto space : kMoreUnicodeSpaces) {
        if (matches(space)) {
            return space.size();
        }
    }
    return 0;
}

bool is_digit(char c, int base) {
    if (base <= 10) {
        return c >= '0' && c < '0' + base;
    }
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

int digit_value(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    return (c | 0x20) - 'a' + 10;
}

// JS NonDecimalIntegerLiteral: 0x, 0o or 0b then at least one digit; no sign allowed.
std::optional<double> parse_prefixed_integer(std::string_view text, int base) {
    if (text.empty()) {
        return std::nullopt;
    }
    double value = 0;
    for (const char c : text) {
        if (!is_digit(c, base)) {
            return std::nullopt;
        }
        value = value * base + digit_value(c);
    }
    return std::isfinite(value) ? std::optional<double>(value) : std::nullopt;
}

// JS StrDecimalLiteral without Infinity: [+-] digits [. digits] [e [+-] digits], or [+-] . digits
// ...
bool is_decimal_literal(std::string_view text) {
    std::size_t i = 0;
    auto digits = [&] {
        const std::size_t start = i;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            ++i;
        }
        return i - start;
    };
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
        ++i;
    }
    std::size_t mantissa = digits();
    if (i < text.size() && text[i] == '.') {
        ++i;
        mantissa += digits();
    }
    if (mantissa == 0) {
        return false;
    }
    if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
        ++i;
        if (i < text.size() && (text[i] == '+' || text[i] == '-')) {
            ++i;
        }
        if (digits() == 0) {
            return false;
        }
    }
    return i == text.size();
}

bool is_ascii_alpha(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

bool is_ascii_alnum(char c) {
    return (c >= '0' && c <= '9') || is_ascii_alpha(c);
}

bool is_local_char(char c) {
    return is_ascii_alnum(c) || c == '_' || c == '\'' || c == '+' || c == '-' || c == '.';
}

bool is_domain_label(std::string_view label) {
    if (label.empty() || !is_ascii_alnum(label.front())) {
        return false;
    }
    for (const char c : label) {
        if (!is_ascii_alnum(c) && c != '-') {
            return false;
        }
    }
    return true;
}

bool is_top_level_domain(std::string_view label) {
    if (label.size() < 2) {
        return false;
    }
    for (const char c : label) {
        if (!is_ascii_alpha(c)) {
            return false;
        }
    }
    return true;
}

}  // namespace

std::string_view trim_js(std::string_view text) {
    while (const auto n = space_length(text, false)) {
        text.remove_prefix(n);
    }
    while (const auto n = space_length(text, true)) {
        text.remove_suffix(n);
    }
    return text;
}

std::optional<double> parse_js_number(std::string_view text) {
    text = trim_js(text);
    if (text.empty()) {
        return 0.0;
    }
    if (text.size() > 2 && text[0] == '0') {
        const char marker = static_cast<char>(text[1] | 0x20);
        const int base = marker == 'x' ? 16 : marker == 'o' ? 8 : marker == 'b' ? 2 : 0;
        if (base != 0) {
            return parse_prefixed_integer(text.substr(2), base);
        }
    }
    if (!is_decimal_literal(text)) {
        return std::nullopt;
    }
    const std::string copy(text);
    const double value = std::strtod(copy.c_str(), nullptr);
    return std::isfinite(value) ? std::optional<double>(value) : std::nullopt;
}

std::size_t utf16_length(std::string_view text) {
    std::size_t units = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        const std::size_t length = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
        bool well_formed =
            lead < 0x80 || (lead >= 0xc2 && lead <= 0xf4 && i + length <= text.size());
        for (std::size_t k = 1; well_formed && k < length; ++k) {
            well_formed = (static_cast<unsigned char>(text[i + k]) & 0xc0U) == 0x80;
        }
        if (!well_formed) {
            ++units;
            ++i;
            continue;
        }
        units += length == 4 ? 2 : 1;
        i += length;
    }
    return units;
}

bool is_valid_email(std::string_view text) {
    const auto at = text.find('@');
    if (at == std::string_view::npos || at == 0 || text.find("..") != std::string_view::npos) {
        return false;
    }
    const std::string_view local = text.substr(0, at);
    if (local.front() == '.' || local.back() == '.' || local.back() == '\'') {
        return false;
    }
    for (const char c : local) {
        if (!is_local_char(c)) {
            return false;
        }
    }
    std::string_view domain = text.substr(at + 1);
    const auto last_dot = domain.rfind('.');
    if (last_dot == std::string_view::npos || !is_top_level_domain(domain.substr(last_dot + 1))) {
        return false;
    }
    domain = domain.substr(0, last_dot);
    while (true) {
        const auto dot = domain.find('.');
        if (!is_domain_label(domain.substr(0, dot))) {
            return false;
        }
        if (dot == std::string_view::npos) {
            return true;
        }
        domain.remove_prefix(dot + 1);
    }
}

}  // namespace portcullis::util
