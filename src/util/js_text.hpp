// The text rules of JavaScript that the contract inherits from the reference (Node and zod):
// String.prototype.trim(), Number(text), `.length` in UTF-16 units and zod's e-mail pattern.
// Pure functions, shared by configuration parsing, request validation and trust-proxy parsing.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace portcullis::util {

// JavaScript's String.prototype.trim(): ASCII and Unicode white space (UTF-8) and line terminators.
std::string_view trim_js(std::string_view text);

// JavaScript's Number(text) for finite results: white space trimmed, "" is 0, decimals with an
// exponent, 0x/0o/0b integers; nullopt for NaN, Infinity and anything else. TRUST_PROXY hop counts
// use it and config reuses it for every numeric variable.
std::optional<double> parse_js_number(std::string_view text);

// Length in UTF-16 code units, as JavaScript's `.length` counts (invalid UTF-8 bytes count one
// each).
std::size_t utf16_length(std::string_view text);

// The e-mail rule of contract 4.1 (ASCII only), equal to the regular expression
// ^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-\.]*)[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$
bool is_valid_email(std::string_view text);

}  // namespace portcullis::util
