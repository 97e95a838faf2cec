// Fuzz target: DATABASE_URL (db/dsn.hpp), both the URL and the key=value forms. Parsing never
// crashes, an unusable DSN gets an error, and the masked form of a DSN, read back the same way,
// holds no password but the mask and none of the real passwords.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "db/dsn.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace portcullis::db;
    const std::string_view url(reinterpret_cast<const char*>(data), size);
    std::string error;
    const auto settings = parse_database_url(url, error);
    const std::string masked = mask_database_url(url);
    if (!settings) {
        FUZZ_CHECK(!error.empty());
        return 0;
    }
    // Read back, a masked DSN names no password but the mask (`***`; a quoted one keeps its
    // quotes, so it never runs into the text after it) or an empty one (`?password` with no value
    // has nothing to hide), and none of the real ones.
    std::vector<std::string> secrets;
    for (const auto& [key, value] : settings->params) {
        // Skip passwords too short or too common to tell apart from the rest of the text.
        if (key == "password" && value.size() >= 4 && url.find(value) == url.rfind(value)) {
            secrets.push_back(value);
        }
    }
    for (const std::string* text : {&masked, &settings->masked}) {
        std::string ignored;
        const auto reread = parse_database_url(*text, ignored);
        if (!reread) continue;
        for (const auto& [key, value] : reread->params) {
            if (key != "password") continue;
            FUZZ_CHECK(value.empty() || value == "***");
            for (const auto& secret : secrets) FUZZ_CHECK(value.find(secret) == std::string::npos);
        }
    }
    return 0;
}
