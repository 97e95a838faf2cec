// Reads the environment and validates it into a Config in the two phases of contract 2.3. Messages
// name the variable and the rule but never echo a value that could be secret.
#include "config/config.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <set>
#include <utility>

#include "config/dotenv.hpp"
#include "config/parse.hpp"
#include "util/js_text.hpp"
#include "util/strings.hpp"

namespace portcullis::config {
namespace {

constexpr std::size_t kMinSecretLength = 32;

template <typename E>
using Choices = std::initializer_list<std::pair<std::string_view, E>>;

const Choices<AppEnv> kAppEnvs = {{"development", AppEnv::development},
                                  {"test", AppEnv::test},
                                  {"production", AppEnv::production}};

// Phase one: one variable at a time, each bad value recorded under its own name.
class Reader {
public:
    Reader(const Environment& env, Problems& problems, std::set<std::string>* names_read = nullptr)
        : env_(env), problems_(problems), names_read_(names_read) {}

    const std::string* get(const std::string& name) const {
        if (names_read_ != nullptr) names_read_->insert(name);
        const auto it = env_.find(name);
        return it == env_.end() ? nullptr : &it->second;
    }

    void problem(const std::string& name, std::string message) {
        problems_[name].push_back(std::move(message));
    }

    std::int64_t integer(const std::string& name, std::int64_t fallback, std::int64_t min,
                         std::int64_t max, std::string_view rule) {
        const std::string* raw = get(name);
        if (raw == nullptr) {
            return fallback;
        }
        const auto value = parse_integer(*raw);
        if (!value || *value < min) {
            problem(name, name + " must be " + std::string(rule));
            return fallback;
        }
        if (*value > max) {
            problem(name, name + " must be at most " + std::to_string(max));
            return fallback;
        }
        return *value;
    }

    int positive_int(const std::string& name, int fallback) {
        return static_cast<int>(integer(name, fallback, 1, INT_MAX, "a positive integer"));
    }

    int non_negative_int(const std::string& name, int fallback) {
        return static_cast<int>(integer(name, fallback, 0, INT_MAX, "a non-negative integer"));
    }

    std::chrono::milliseconds positive_ms(const std::string& name,
                                          std::chrono::milliseconds fallback) {
        return std::chrono::milliseconds(
            integer(name, fallback.count(), 1, INT_MAX, "a positive integer"));
    }

    double number(const std::string& name, double fallback) {
        const std::string* raw = get(name);
        if (raw == nullptr) {
            return fallback;
        }
        const auto value = parse_number(*raw);
        if (!value) {
            problem(name, name + " must be a number");
            return fallback;
        }
        return *value;
    }

    bool boolean(const std::string& name, bool fallback) const {
        const std::string* raw = get(name);
        return raw == nullptr ? fallback : parse_boolean(*raw);
    }

    // Nullopt when absent or invalid (the latter recorded). Matching is exact, as zod's enum is.
    template <typename E>
    std::optional<E> choice(const std::string& name, Choices<E> choices) {
        const std::string* raw = get(name);
        if (raw == nullptr) {
            return std::nullopt;
        }
        std::string names;
        for (const auto& [text, value] : choices) {
            if (*raw == text) {
                return value;
            }
            names += (names.empty() ? "" : ", ") + std::string(text);
        }
        problem(name, name + " must be one of " + names);
        return std::nullopt;
    }

    std::chrono::milliseconds duration(const std::string& name,
                                       std::chrono::milliseconds fallback) {
        const std::string* raw = get(name);
        if (raw == nullptr) {
            return fallback;
        }
        std::string error;
        const auto value = parse_positive_duration(name, *raw, error);
        if (!value) {
            problem(name, std::move(error));
            return fallback;
        }
        return *value;
    }

    // JavaScript truthiness: absent and empty both mean "not set".
    std::optional<std::string> non_empty(const std::string& name) const {
        const std::string* raw = get(name);
        return raw == nullptr || raw->empty() ? std::nullopt : std::optional<std::string>(*raw);
    }

private:
    const Environment& env_;
    Problems& problems_;
    std::set<std::string>* names_read_;
};

AppEnv read_app_env(Reader& reader) {
    // Both are validated when set (an invalid NODE_ENV was fatal in the reference too), and a set
    // APP_ENV wins.
    const auto app_env = reader.choice("APP_ENV", kAppEnvs);
    const auto node_env = reader.choice("NODE_ENV", kAppEnvs);
    if (reader.get("APP_ENV") != nullptr) {
        return app_env.value_or(AppEnv::development);
    }
    return node_env.value_or(AppEnv::development);
}

void read_jwt_secret(Reader& reader, const std::string& name, std::string_view kind,
                     std::string& target) {
    const std::string* raw = reader.get(name);
    if (raw == nullptr) {
        reader.problem(name, name + " is required");
    } else if (util::utf16_length(*raw) < kMinSecretLength) {
        reader.problem(name,
                       "JWT " + std::string(kind) + " secret must be at least 32 characters long");
    } else {
        target = *raw;
    }
}

void read_database(Reader& reader, Config& config) {
    // Stricter than the reference (which only requires presence): an empty URL would make libpq
    // silently fall back to its local defaults. The message is the one of the reference's CLI
    // tools (contract 13).
    if (const auto url = reader.get("DATABASE_URL"); url != nullptr && !trim(*url).empty()) {
        config.database_url = *url;
    } else {
        reader.problem("DATABASE_URL", "DATABASE_URL must be set");
    }
    config.database_pool_size =
        reader.positive_int("DATABASE_POOL_SIZE", config.database_pool_size);
    config.database_statement_timeout =
        reader.positive_ms("DATABASE_STATEMENT_TIMEOUT_MS", config.database_statement_timeout);
}

// JWT_*_SECRET_PREVIOUS: comma-separated, each as long as a current secret must be.
void read_previous_secrets(Reader& reader, const std::string& name, std::string_view kind,
                           std::vector<std::string>& target) {
    const std::string* raw = reader.get(name);
    if (raw == nullptr) return;
    for (auto& secret : parse_list(*raw)) {
        if (util::utf16_length(secret) < kMinSecretLength) {
            reader.problem(name, "Every previous JWT " + std::string(kind) +
                                     " secret must be at least 32 characters long");
            target.clear();
            return;
        }
        target.push_back(std::move(secret));
    }
}

void read_jwt_secrets(Reader& reader, Config& config) {
    read_jwt_secret(reader, "JWT_ACCESS_SECRET", "access", config.jwt_access_secret);
    read_jwt_secret(reader, "JWT_REFRESH_SECRET", "refresh", config.jwt_refresh_secret);
    read_previous_secrets(reader, "JWT_ACCESS_SECRET_PREVIOUS", "access",
                          config.jwt_access_secret_previous);
    read_previous_secrets(reader, "JWT_REFRESH_SECRET_PREVIOUS", "refresh",
                          config.jwt_refresh_secret_previous);
    config.jwt_access_algorithm =
        reader
            .choice<JwtAlgorithm>("JWT_ACCESS_ALGORITHM",
                                  {{"HS256", JwtAlgorithm::hs256}, {"EdDSA", JwtAlgorithm::eddsa}})
            .value_or(config.jwt_access_algorithm);
    config.jwt_signing_key = reader.non_empty("JWT_SIGNING_KEY");
    config.auth_refresh_reuse_grace = std::chrono::seconds(
        reader.integer("AUTH_REFRESH_REUSE_GRACE_SECONDS", config.auth_refresh_reuse_grace.count(),
                       0, 600, "a non-negative integer"));
}

void read_signing_keys_dir(Reader& reader, Config& config) {
    config.jwt_signing_keys_dir = reader.non_empty("JWT_SIGNING_KEYS_DIR");
}

void read_rate_limits(Reader& reader, Config& config) {
    config.rate_limit_rpm = reader.number("RATE_LIMIT_RPM", config.rate_limit_rpm);
    config.rate_limit_window_sec =
        reader.number("RATE_LIMIT_WINDOW_SEC", config.rate_limit_window_sec);
    config.rate_limit_rpm_auth = reader.number("RATE_LIMIT_RPM_AUTH", config.rate_limit_rpm_auth);
    config.rate_limit_rpm_auth_register =
        reader.number("RATE_LIMIT_RPM_AUTH_REGISTER", config.rate_limit_rpm_auth_register);
    config.rate_limit_rpm_auth_password_reset = reader.number(
        "RATE_LIMIT_RPM_AUTH_PASSWORD_RESET", config.rate_limit_rpm_auth_password_reset);
    config.rate_limit_redis_failure_mode =
        reader
            .choice<RedisFailureMode>("RATE_LIMIT_REDIS_FAILURE_MODE",
                                      {{"local", RedisFailureMode::local},
                                       {"closed", RedisFailureMode::closed},
                                       {"open", RedisFailureMode::open}})
            .value_or(config.rate_limit_redis_failure_mode);
}

void read_redis(Reader& reader, Config& config) {
    if (const std::string* raw = reader.get("RATE_LIMIT_REDIS_URL")) {
        const std::string_view url = trim(*raw);
        if (is_valid_url(url)) {
            config.rate_limit_redis_url = std::string(url);
        } else {
            reader.problem(
                "RATE_LIMIT_REDIS_URL",
                "RATE_LIMIT_REDIS_URL must be a valid URL (e.g. redis://:pass@host:6379)");
        }
    }
    config.rate_limit_redis_timeout =
        reader.positive_ms("RATE_LIMIT_REDIS_TIMEOUT_MS", config.rate_limit_redis_timeout);
}

void read_smtp(Reader& reader, Config& config) {
    config.smtp_host = reader.non_empty("SMTP_HOST");
    if (reader.get("SMTP_PORT") != nullptr) {
        config.smtp_port = static_cast<int>(
            reader.integer("SMTP_PORT", 0, 0, 65535, "an integer between 0 and 65535"));
    }
    config.smtp_secure = reader.boolean("SMTP_SECURE", false);
    config.smtp_user = reader.non_empty("SMTP_USER");
    config.smtp_pass = reader.non_empty("SMTP_PASS");
    if (const std::string* from = reader.get("SMTP_FROM")) {
        if (is_valid_sender(*from)) {
            config.smtp_from = *from;
        } else {
            reader.problem("SMTP_FROM",
                           "SMTP_FROM must be an email address or a display name with an address "
                           "(e.g. Portcullis <no-reply@example.com>)");
        }
    }
    config.smtp_connect_timeout =
        reader.positive_ms("SMTP_CONNECT_TIMEOUT_MS", config.smtp_connect_timeout);
    config.smtp_timeout = reader.positive_ms("SMTP_TIMEOUT_MS", config.smtp_timeout);
    config.email_outbox_poll_interval =
        reader.positive_ms("EMAIL_OUTBOX_POLL_INTERVAL_MS", config.email_outbox_poll_interval);
    config.email_outbox_retry_base =
        reader.positive_ms("EMAIL_OUTBOX_RETRY_BASE_MS", config.email_outbox_retry_base);
    config.email_outbox_retry_max =
        reader.positive_ms("EMAIL_OUTBOX_RETRY_MAX_MS", config.email_outbox_retry_max);
    config.email_outbox_max_attempts =
        reader.positive_int("EMAIL_OUTBOX_MAX_ATTEMPTS", config.email_outbox_max_attempts);
}

// Phase-one results that only phase two interprets.
struct Pending {
    bool guard_secret_given = false;
    std::vector<std::string> allowlist;
    const char* environment_variable = "NODE_ENV";  // the one that named the environment
};

void read_metrics(Reader& reader, Config& config, Pending& pending) {
    config.metrics_enabled = reader.boolean("METRICS_ENABLED", false);
    config.metrics_guard =
        reader
            .choice<MetricsGuard>("METRICS_GUARD", {{"none", MetricsGuard::none},
                                                    {"secret", MetricsGuard::secret},
                                                    {"cidr", MetricsGuard::cidr}})
            .value_or(MetricsGuard::none);
    if (const std::string* secret = reader.get("METRICS_GUARD_SECRET")) {
        if (const auto trimmed = trim(*secret); !trimmed.empty()) {
            config.metrics_guard_secret = std::string(trimmed);
            pending.guard_secret_given = true;
        }
    }
    if (const std::string* allowlist = reader.get("METRICS_GUARD_ALLOWLIST")) {
        pending.allowlist = parse_list(*allowlist);
    }
}

void read_port(Reader& reader, Config& config) {
    if (const std::string* raw = reader.get("PORT"); raw != nullptr && !trim(*raw).empty()) {
        config.port = static_cast<std::uint16_t>(
            reader.integer("PORT", config.port, 0, 65535, "an integer between 0 and 65535"));
    }
}

// The abuse limits of issue #19: header size and count, connections, requests per connection.
void read_http_limits(Reader& reader, Config& config) {
    constexpr std::uint64_t kMinHeaderBytes = 1024;
    constexpr std::uint64_t kMaxHeaderBytes = 1024 * 1024;
    if (const std::string* raw = reader.get("HTTP_SERVER_MAX_HEADER_BYTES");
        raw != nullptr && !trim(*raw).empty()) {
        const auto bytes = parse_byte_size(*raw);
        if (bytes && *bytes >= kMinHeaderBytes && *bytes <= kMaxHeaderBytes) {
            config.http_max_header_bytes = static_cast<std::size_t>(*bytes);
        } else {
            reader.problem("HTTP_SERVER_MAX_HEADER_BYTES",
                           "HTTP_SERVER_MAX_HEADER_BYTES must be a byte size between 1kb and 1mb");
        }
    }
    const auto count = [&reader](const std::string& name, std::size_t fallback, std::int64_t min,
                                 std::string_view rule) {
        return static_cast<std::size_t>(
            reader.integer(name, static_cast<std::int64_t>(fallback), min, 10'000'000, rule));
    };
    config.http_max_header_fields = count("HTTP_SERVER_MAX_HEADER_FIELDS",
                                          config.http_max_header_fields, 1, "a positive integer");
    config.http_max_connections = count("HTTP_SERVER_MAX_CONNECTIONS", config.http_max_connections,
                                        0, "a non-negative integer");
    config.http_max_connections_per_ip =
        count("HTTP_SERVER_MAX_CONNECTIONS_PER_IP", config.http_max_connections_per_ip, 0,
              "a non-negative integer");
    config.http_max_requests_per_connection =
        count("HTTP_SERVER_MAX_REQUESTS_PER_CONNECTION", config.http_max_requests_per_connection, 0,
              "a non-negative integer");
}

void read_http(Reader& reader, Config& config) {
    if (const std::string* origins = reader.get("CORS_ORIGINS")) {
        config.cors_origins = parse_list(*origins);
    }
    if (const std::string* raw = reader.get("TRUST_PROXY")) {
        std::string error;
        if (auto trust = util::parse_trust_proxy(*raw, error)) {
            config.trust_proxy = std::move(*trust);
        } else {
            reader.problem("TRUST_PROXY", std::move(error));
        }
    }
    // body-parser falls back to the default 100kb for an empty limit; anything unparsable is
    // refused here instead of silently removing the limit as the reference does.
    if (const std::string* raw = reader.get("REQUEST_BODY_LIMIT");
        raw != nullptr && !trim(*raw).empty()) {
        if (const auto bytes = parse_byte_size(*raw)) {
            config.request_body_limit = static_cast<std::size_t>(*bytes);
        } else {
            reader.problem("REQUEST_BODY_LIMIT",
                           "REQUEST_BODY_LIMIT must be a byte size such as \"100kb\" or \"1mb\"");
        }
    }
    config.http_request_timeout =
        reader.positive_ms("HTTP_SERVER_REQUEST_TIMEOUT_MS", config.http_request_timeout);
    config.http_headers_timeout =
        reader.positive_ms("HTTP_SERVER_HEADERS_TIMEOUT_MS", config.http_headers_timeout);
    config.http_keepalive_timeout =
        reader.positive_ms("HTTP_SERVER_KEEPALIVE_TIMEOUT_MS", config.http_keepalive_timeout);
    read_http_limits(reader, config);
    config.shutdown_delay = std::chrono::milliseconds(reader.non_negative_int(
        "SHUTDOWN_DELAY_MS", static_cast<int>(config.shutdown_delay.count())));
    config.shutdown_timeout = reader.positive_ms("SHUTDOWN_TIMEOUT_MS", config.shutdown_timeout);
    // Absent or empty = on, as for compression below; only benchmarks turn it off.
    const std::string* recording = reader.get("METRICS_RECORDING");
    config.metrics_recording =
        recording == nullptr || trim(*recording).empty() || parse_boolean(*recording);
    // Absent or empty = on. Off only for benchmarks outside production (the cost of limiting).
    const std::string* limiting = reader.get("RATE_LIMIT_ENABLED");
    config.rate_limit_enabled =
        limiting == nullptr || trim(*limiting).empty() || parse_boolean(*limiting);
    const std::string* compression = reader.get("RESPONSE_COMPRESSION_ENABLED");
    config.response_compression_enabled =
        compression == nullptr || compression->empty() || parse_boolean(*compression);
    config.response_compression_min_bytes = static_cast<std::size_t>(reader.non_negative_int(
        "RESPONSE_COMPRESSION_MIN_BYTES", static_cast<int>(config.response_compression_min_bytes)));
    config.io_threads = reader.non_negative_int("IO_THREADS", config.io_threads);
    if (const std::string* root = reader.get("PORTCULLIS_CGROUP_ROOT");
        root != nullptr && !trim(*root).empty()) {
        config.cgroup_root = std::string(trim(*root));
    }
}

void read_refresh_expiry(Reader& reader, Config& config) {
    config.jwt_refresh_expiry = reader.duration("JWT_REFRESH_EXPIRY", config.jwt_refresh_expiry);
}

void read_auth(Reader& reader, Config& config) {
    config.jwt_access_expiry = reader.duration("JWT_ACCESS_EXPIRY", config.jwt_access_expiry);
    config.auth_email_verification_required =
        reader.boolean("AUTH_EMAIL_VERIFICATION_REQUIRED", false);
    config.auth_email_verification_ttl_minutes = reader.positive_int(
        "AUTH_EMAIL_VERIFICATION_TTL_MINUTES", config.auth_email_verification_ttl_minutes);
    config.auth_password_reset_ttl_minutes = reader.positive_int(
        "AUTH_PASSWORD_RESET_TTL_MINUTES", config.auth_password_reset_ttl_minutes);
    config.auth_login_max_attempts =
        reader.positive_int("AUTH_LOGIN_MAX_ATTEMPTS", config.auth_login_max_attempts);
    config.auth_login_lockout_minutes =
        reader.positive_int("AUTH_LOGIN_LOCKOUT_MINUTES", config.auth_login_lockout_minutes);
    config.auth_login_attempt_window_minutes = reader.positive_int(
        "AUTH_LOGIN_ATTEMPT_WINDOW_MINUTES", config.auth_login_attempt_window_minutes);
    config.auth_argon2_memory_kib = static_cast<std::uint32_t>(
        reader.integer("AUTH_ARGON2_MEMORY_KIB", config.auth_argon2_memory_kib, 8192, UINT32_MAX,
                       "an integer >= 8192"));
    config.auth_argon2_iterations = static_cast<std::uint32_t>(
        reader.integer("AUTH_ARGON2_ITERATIONS", config.auth_argon2_iterations, 1, UINT32_MAX,
                       "a positive integer"));
    config.session_cleanup_interval_minutes = reader.positive_int(
        "SESSION_CLEANUP_INTERVAL_MINUTES", config.session_cleanup_interval_minutes);
}

void read_password_blocklist(Reader& reader, Config& config) {
    const std::string* raw = reader.get("AUTH_PASSWORD_BLOCKLIST");
    const std::string_view value = raw == nullptr ? std::string_view{} : trim(*raw);
    if (value.empty() || value == "builtin") {
        config.auth_password_blocklist = PasswordBlocklistMode::builtin;
        return;
    }
    if (value == "off") {
        config.auth_password_blocklist = PasswordBlocklistMode::off;
        return;
    }
    // Anything else names a file; whether its content is usable is checked where it is opened.
    config.auth_password_blocklist = PasswordBlocklistMode::file;
    config.auth_password_blocklist_file = std::string(value);
    struct stat info {};
    if (::stat(config.auth_password_blocklist_file.c_str(), &info) != 0 || !S_ISREG(info.st_mode) ||
        ::access(config.auth_password_blocklist_file.c_str(), R_OK) != 0) {
        reader.problem("AUTH_PASSWORD_BLOCKLIST",
                       "AUTH_PASSWORD_BLOCKLIST must be builtin, off or the path of a readable "
                       "file of sorted `SHA1:count` lines");
    }
}

void read_account_security(Reader& reader, Config& config) {
    if (const auto key = reader.non_empty("AUTH_MFA_ENCRYPTION_KEY")) {
        if (util::utf16_length(*key) < kMinSecretLength) {
            reader.problem("AUTH_MFA_ENCRYPTION_KEY",
                           "AUTH_MFA_ENCRYPTION_KEY must be at least 32 characters long");
        } else {
            config.auth_mfa_encryption_key = *key;
        }
    }
    if (const std::string* issuer = reader.get("AUTH_MFA_ISSUER")) {
        const std::string_view value = trim(*issuer);
        // The issuer and the account are separated by `:` in the otpauth label.
        if (value.empty() || value.size() > 64 || value.find(':') != std::string_view::npos) {
            reader.problem("AUTH_MFA_ISSUER",
                           "AUTH_MFA_ISSUER must be 1 to 64 characters without `:`");
        } else {
            config.auth_mfa_issuer = std::string(value);
        }
    }
    read_password_blocklist(reader, config);
    if (const std::string* raw = reader.get("AUDIT_EVENTS_ENABLED")) {
        const std::string value = util::to_lower(trim(*raw));
        if (value.empty() || value == "true") {
            config.audit_events_enabled = true;
        } else if (value == "false") {
            config.audit_events_enabled = false;
        } else {
            reader.problem("AUDIT_EVENTS_ENABLED", "AUDIT_EVENTS_ENABLED must be true or false");
        }
    }
    config.audit_retention_days =
        reader.non_negative_int("AUDIT_RETENTION_DAYS", config.audit_retention_days);
}

void add(Problems& problems, const std::string& name, std::string message) {
    problems[name].push_back(std::move(message));
}

// Cross-field rules and production guards (contract 2.3, decisions B.13). They run beside the
// per-variable checks (decisions B.1: one list of every problem); a rule whose input failed its
// own check is skipped, since its verdict would rest on a default the operator did not choose.
void check_combinations(Config& config, const Pending& pending, const Problems& failed,
                        LoadResult& result) {
    Problems& problems = result.problems;
    const auto ok = [&failed](std::initializer_list<const char*> names) {
        for (const char* name : names) {
            if (failed.count(name) != 0) return false;
        }
        return true;
    };
    if (ok({"METRICS_GUARD"})) {
        const bool secret_guard = config.metrics_guard == MetricsGuard::secret;
        if (secret_guard && !pending.guard_secret_given) {
            add(problems, "METRICS_GUARD_SECRET",
                "METRICS_GUARD_SECRET is required when METRICS_GUARD=secret");
        }
        if (!secret_guard && pending.guard_secret_given) {
            add(problems, "METRICS_GUARD_SECRET",
                "METRICS_GUARD_SECRET provided but METRICS_GUARD is not set to secret");
        }
        if (config.metrics_guard == MetricsGuard::cidr) {
            if (pending.allowlist.empty()) {
                add(problems, "METRICS_GUARD_ALLOWLIST",
                    "Provide at least one CIDR when METRICS_GUARD=cidr");
            }
            std::string invalid;
            for (const auto& entry : pending.allowlist) {
                if (const auto range = util::parse_cidr(entry)) {
                    config.metrics_guard_allowlist.push_back(*range);
                } else {
                    invalid += (invalid.empty() ? "" : ", ") + entry;
                }
            }
            if (!invalid.empty()) {
                add(problems, "METRICS_GUARD_ALLOWLIST", "Invalid CIDR entries: " + invalid);
            }
        } else if (!pending.allowlist.empty()) {
            add(problems, "METRICS_GUARD_ALLOWLIST",
                "METRICS_GUARD_ALLOWLIST provided but METRICS_GUARD is not set to cidr");
        }
    }
    if (ok({"JWT_ACCESS_ALGORITHM"})) {
        const bool keys_given = config.jwt_signing_keys_dir || config.jwt_signing_key;
        if (config.jwt_access_algorithm == JwtAlgorithm::eddsa && !keys_given) {
            add(problems, "JWT_ACCESS_ALGORITHM",
                "JWT_ACCESS_ALGORITHM=EdDSA needs JWT_SIGNING_KEYS_DIR or JWT_SIGNING_KEY");
        }
        if (config.jwt_signing_keys_dir && config.jwt_signing_key) {
            add(problems, "JWT_SIGNING_KEY",
                "Set JWT_SIGNING_KEYS_DIR or JWT_SIGNING_KEY, not both");
        }
        if (config.jwt_access_algorithm != JwtAlgorithm::eddsa && keys_given) {
            add(problems, config.jwt_signing_key ? "JWT_SIGNING_KEY" : "JWT_SIGNING_KEYS_DIR",
                "Signing keys provided but JWT_ACCESS_ALGORITHM is not set to EdDSA");
        }
    }
    // Whether this is production is unknown when the variable naming the environment is invalid.
    if (!ok({pending.environment_variable}) || !config.production()) {
        return;
    }
    if (!config.rate_limit_enabled) {
        add(problems, "RATE_LIMIT_ENABLED",
            "RATE_LIMIT_ENABLED=false is not allowed in production");
    }
    if (config.metrics_enabled && config.metrics_guard == MetricsGuard::none &&
        ok({"METRICS_GUARD"})) {
        add(problems, "METRICS_GUARD",
            "METRICS_GUARD must be secret or cidr when METRICS_ENABLED=true in production");
    }
    if (config.cors_origins.empty()) {
        add(problems, "CORS_ORIGINS",
            "Set CORS_ORIGINS with at least one allowed origin in production");
    }
    if (!config.rate_limit_redis_url && ok({"RATE_LIMIT_REDIS_URL"})) {
        add(problems, "RATE_LIMIT_REDIS_URL", "RATE_LIMIT_REDIS_URL is required in production");
    }
    if (!config.smtp_configured() && ok({"SMTP_PORT", "SMTP_FROM"})) {
        if (config.auth_email_verification_required) {
            add(problems, "AUTH_EMAIL_VERIFICATION_REQUIRED",
                "AUTH_EMAIL_VERIFICATION_REQUIRED=true in production needs SMTP (set SMTP_HOST, "
                "SMTP_PORT and SMTP_FROM); nobody could verify an account");
        } else {
            result.warnings.emplace_back(
                "SMTP is not configured (SMTP_HOST, SMTP_PORT, SMTP_FROM) in production: "
                "emails are logged, not sent");
        }
    }
}

LoadResult load(const Environment& env, Scope scope, std::set<std::string>* names_read) {
    LoadResult result;
    Config config;
    Pending pending;
    Reader reader(env, result.problems, names_read);

    config.app_env = read_app_env(reader);
    pending.environment_variable = reader.get("APP_ENV") != nullptr ? "APP_ENV" : "NODE_ENV";
    config.log_level = reader
                           .choice<LogLevel>("LOG_LEVEL", {{"fatal", LogLevel::fatal},
                                                           {"error", LogLevel::error},
                                                           {"warn", LogLevel::warn},
                                                           {"info", LogLevel::info},
                                                           {"debug", LogLevel::debug},
                                                           {"trace", LogLevel::trace},
                                                           {"silent", LogLevel::silent}})
                           .value_or(LogLevel::info);
    if (scope.database || scope.server) read_database(reader, config);
    if (scope.redis || scope.server) read_redis(reader, config);
    if (scope.port || scope.server) read_port(reader, config);
    if (scope.refresh_expiry || scope.server) read_refresh_expiry(reader, config);
    if (scope.password_blocklist && !scope.server) read_password_blocklist(reader, config);
    if (scope.signing_keys || scope.server) read_signing_keys_dir(reader, config);
    if (scope.server) {
        read_jwt_secrets(reader, config);
        read_http(reader, config);
        read_rate_limits(reader, config);
        read_smtp(reader, config);
        read_metrics(reader, config, pending);
        read_auth(reader, config);
        read_account_security(reader, config);
        const Problems failed = result.problems;
        check_combinations(config, pending, failed, result);
    }
    result.values = config;
    if (result.problems.empty()) {
        result.config = std::move(config);
    } else {
        result.warnings.clear();
    }
    return result;
}

}  // namespace

std::string_view to_string(AppEnv env) {
    switch (env) {
        case AppEnv::development:
            return "development";
        case AppEnv::test:
            return "test";
        case AppEnv::production:
            return "production";
    }
    return "development";
}

std::string_view to_string(LogLevel level) {
    switch (level) {
        case LogLevel::trace:
            return "trace";
        case LogLevel::debug:
            return "debug";
        case LogLevel::info:
            return "info";
        case LogLevel::warn:
            return "warn";
        case LogLevel::error:
            return "error";
        case LogLevel::fatal:
            return "fatal";
        case LogLevel::silent:
            return "silent";
    }
    return "info";
}

std::string_view to_string(MetricsGuard guard) {
    switch (guard) {
        case MetricsGuard::none:
            return "none";
        case MetricsGuard::secret:
            return "secret";
        case MetricsGuard::cidr:
            return "cidr";
    }
    return "none";
}

std::string_view to_string(JwtAlgorithm algorithm) {
    return algorithm == JwtAlgorithm::eddsa ? "EdDSA" : "HS256";
}

std::string_view to_string(RedisFailureMode mode) {
    switch (mode) {
        case RedisFailureMode::local:
            return "local";
        case RedisFailureMode::closed:
            return "closed";
        case RedisFailureMode::open:
            return "open";
    }
    return "local";
}

LoadResult load_config(const Environment& env, Scope scope) {
    return load(env, scope, nullptr);
}

std::vector<std::string> known_variables() {
    std::set<std::string> names;
    load(Environment{}, Scope::everything(), &names);
    return {names.begin(), names.end()};
}

Environment read_environment(const std::string& dotenv_path) {
    Environment env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const auto equals = text.find('=');
        if (equals != std::string_view::npos && equals != 0) {
            env.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
        }
    }
    std::ifstream file(dotenv_path, std::ios::binary);
    if (!file) {
        return env;
    }
    const std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
    for (auto& [name, value] : parse_dotenv(text)) {
        env.try_emplace(name, std::move(value));
    }
    return env;
}

}  // namespace portcullis::config
