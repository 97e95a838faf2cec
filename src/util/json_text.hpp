// Minimal JSON text building for hot paths (log lines, fixed-shape bodies) without a DOM.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace portcullis::util {

// Appends `text` as a quoted JSON string; invalid UTF-8 bytes become U+FFFD so the line stays
// valid.
void append_json_string(std::string& out, std::string_view text);
void append_json_number(std::string& out, std::int64_t value);
void append_json_number(std::string& out, double value);

}  // namespace portcullis::util
