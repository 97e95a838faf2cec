// Fuzz target: `.env` files (config/dotenv.hpp). Any text parses without a crash into keys made
// of dotenv's key characters; and what was read, written back single-quoted (literal, may span
// lines), reads the same again.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "config/dotenv.hpp"
#include "fuzz_check.hpp"

namespace {
bool is_key_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using portcullis::config::parse_dotenv;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed = parse_dotenv(text);
    std::string written;
    std::map<std::string, std::string> expected;
    for (const auto& [key, value] : parsed) {
        FUZZ_CHECK(!key.empty());
        for (const char c : key) FUZZ_CHECK(is_key_char(c));
        if (value.find_first_of("'\\\r") != std::string::npos) continue;
        written += key + "='" + value + "'\n";
        expected[key] = value;
    }
    FUZZ_CHECK(parse_dotenv(written) == expected);
    return 0;
}
