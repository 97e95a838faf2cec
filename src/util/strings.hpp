// Small string helpers used across modules (ASCII only: HTTP tokens and our own identifiers).
#pragma once

#include <string>
#include <string_view>

namespace portcullis::util {

constexpr char ascii_lower(char c) {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view trim(std::string_view text);
std::string to_lower(std::string_view text);

// Inline: header lookups call it for every header of every request, and most calls end at the
// length check.
inline bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
    }
    return true;
}
bool istarts_with(std::string_view text, std::string_view prefix);

// Length of the well-formed UTF-8 sequence starting at text[i] (1-4), or 0 when it is malformed
// (overlong, surrogate, beyond U+10FFFF, truncated). Requires i < text.size().
std::size_t utf8_sequence_length(std::string_view text, std::size_t i);
bool is_valid_utf8(std::string_view text);

// Constant-time equality for secrets; the length difference is the only thing that leaks.
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace portcullis::util
