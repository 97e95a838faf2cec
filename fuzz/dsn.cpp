// Fuzz target: DATABASE_URL (db/dsn.hpp), both the URL and the key=value forms. Parsing never
// crashes, and neither the error nor the masked form of a DSN shows its password.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

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
    for (const auto& [key, value] : settings->params) {
        if (key != "password" || value.size() < 8) continue;
        // A password long enough not to occur elsewhere by chance.
        if (url.find(value) != url.rfind(value)) continue;
        FUZZ_CHECK(settings->masked.find(value) == std::string::npos);
        FUZZ_CHECK(masked.find(value) == std::string::npos);
    }
    return 0;
}
