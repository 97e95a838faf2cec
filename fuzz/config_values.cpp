// Fuzz target: configuration values (config/parse.hpp: numbers, booleans, lists, byte sizes,
// durations, e-mail and sender addresses, URLs and their masking) and whole environments through
// load_config. The first byte picks a variable name for the value; the rest is the value. Nothing
// throws; accepted durations and sizes are in range; a masked URL never shows its password.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/config.hpp"
#include "config/parse.hpp"
#include "fuzz_check.hpp"

namespace {
using namespace portcullis;

const std::string_view kNames[] = {"PORT",
                                   "JWT_ACCESS_EXPIRY",
                                   "JWT_REFRESH_EXPIRY",
                                   "REQUEST_BODY_LIMIT",
                                   "TRUST_PROXY",
                                   "CORS_ORIGINS",
                                   "RATE_LIMIT_RPM",
                                   "RATE_LIMIT_REDIS_URL",
                                   "SMTP_FROM",
                                   "SMTP_PORT",
                                   "METRICS_GUARD",
                                   "METRICS_GUARD_ALLOWLIST",
                                   "METRICS_GUARD_SECRET",
                                   "LOG_LEVEL",
                                   "APP_ENV",
                                   "HTTP_SERVER_HEADERS_TIMEOUT_MS",
                                   "HTTP_SERVER_MAX_HEADER_BYTES",
                                   "HTTP_SERVER_MAX_CONNECTIONS",
                                   "AUTH_ARGON2_MEMORY_KIB",
                                   "DATABASE_URL",
                                   "RESPONSE_COMPRESSION_ENABLED",
                                   "SESSION_CLEANUP_INTERVAL_MINUTES"};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view value(reinterpret_cast<const char*>(data) + 1, size - 1);

    if (const auto number = config::parse_number(value)) FUZZ_CHECK(std::isfinite(*number));
    if (const auto integer = config::parse_integer(value)) {
        FUZZ_CHECK(*integer <= (std::int64_t{1} << 53) && *integer >= -(std::int64_t{1} << 53));
    }
    (void)config::parse_boolean(value);
    for (const auto& entry : config::parse_list(value)) {
        FUZZ_CHECK(!entry.empty() && config::trim(entry) == entry);
    }
    (void)config::parse_byte_size(value);
    const auto duration = config::parse_duration(value);
    if (duration.problem == config::DurationProblem::none) {
        FUZZ_CHECK(!std::isnan(duration.milliseconds));
    }
    std::string error;
    if (const auto positive = config::parse_positive_duration("X", value, error)) {
        FUZZ_CHECK(positive->count() > 0 && error.empty());
    } else {
        FUZZ_CHECK(!error.empty());
    }
    (void)config::is_valid_sender(value);
    if (config::is_valid_url(value)) {
        const std::string masked = config::mask_url_password(value);
        // A password of a few characters may appear elsewhere in the URL by chance.
        const auto at = value.find('@');
        const auto colon = value.find(':', value.find("://") + 3);
        if (at != std::string_view::npos && colon < at && at - colon > 8) {
            const auto password = value.substr(colon + 1, at - colon - 1);
            if (value.find(password) == value.rfind(password)) {
                FUZZ_CHECK(masked.find(password) == std::string::npos);
            }
        }
    }

    // One variable set to the value over a valid base, through the whole validation.
    config::Environment env{{"DATABASE_URL", "postgresql://u:p@localhost/db"},
                            {"JWT_ACCESS_SECRET", "access-secret-0123456789abcdefghij"},
                            {"JWT_REFRESH_SECRET", "refresh-secret-0123456789abcdefghij"}};
    env[std::string(kNames[data[0] % std::size(kNames)])] = std::string(value);
    const auto result = config::load_config(env);
    FUZZ_CHECK(result.config.has_value() == result.problems.empty());
    for (const auto& [name, messages] : result.problems) FUZZ_CHECK(!messages.empty());
    // Messages never echo a secret: the same environment with another secret of the same length
    // gets messages that hold the value too whenever these do (the text is the message's own).
    const auto messages_of = [](const config::LoadResult& r) {
        std::string all;
        for (const auto& [name, list] : r.problems) {
            for (const auto& message : list) all += message + "\n";
        }
        return all;
    };
    for (const char* secret : {"METRICS_GUARD_SECRET", "JWT_ACCESS_SECRET", "DATABASE_URL"}) {
        const auto it = env.find(secret);
        if (it == env.end() || it->second != value || value.size() < 4) continue;
        if (messages_of(result).find(value) == std::string::npos) continue;
        auto stand_in = env;
        stand_in[secret] = std::string(value.size(), '\x01');
        FUZZ_CHECK(messages_of(config::load_config(stand_in)).find(value) != std::string::npos);
    }
    return 0;
}
