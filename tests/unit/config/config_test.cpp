// Pins load_config: the defaults of contract 2.2, every phase-one rule, the cross-field rules and
// production guards of 2.3 (decisions B.13, B.14, D), and that no message leaks a secret.
#include "config/config.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <utility>

namespace portcullis::config {
namespace {

const std::string kAccessSecret = "access-secret-0123456789abcdefghij";
const std::string kRefreshSecret = "refresh-secret-0123456789abcdefghij";

Environment base_env() {
    return {{"DATABASE_URL", "postgresql://app:dbpass@localhost:5432/app"},
            {"JWT_ACCESS_SECRET", kAccessSecret},
            {"JWT_REFRESH_SECRET", kRefreshSecret}};
}

Environment with(std::initializer_list<std::pair<const std::string, std::string>> extra) {
    Environment env = base_env();
    for (const auto& [name, value] : extra) {
        env[name] = value;
    }
    return env;
}

Environment production_env() {
    return with({{"APP_ENV", "production"},
                 {"CORS_ORIGINS", "https://app.example"},
                 {"RATE_LIMIT_REDIS_URL", "redis://:redispass@redis:6379/0"},
                 {"SMTP_HOST", "smtp.example"},
                 {"SMTP_PORT", "587"},
                 {"SMTP_FROM", "Portcullis <no-reply@example.com>"}});
}

Config load_ok(const Environment& env) {
    const LoadResult result = load_config(env);
    EXPECT_TRUE(result.problems.empty());
    for (const auto& [name, messages] : result.problems) {
        for (const auto& message : messages) {
            ADD_FAILURE() << name << ": " << message;
        }
    }
    EXPECT_TRUE(result.config.has_value());
    return result.config.value_or(Config{});
}

// The problems of `env`, which must be exactly one message under `name`.
std::string only_problem(const Environment& env, const std::string& name) {
    const LoadResult result = load_config(env);
    EXPECT_FALSE(result.config.has_value());
    EXPECT_EQ(result.problems.size(), 1U) << "expected only " << name;
    const auto it = result.problems.find(name);
    if (it == result.problems.end() || it->second.size() != 1) {
        ADD_FAILURE() << "no single problem under " << name;
        return "";
    }
    return it->second.front();
}

TEST(LoadConfig, DefaultsOfContract22) {
    const Config config = load_ok(base_env());
    EXPECT_EQ(config.app_env, AppEnv::development);
    EXPECT_EQ(config.port, 3000);
    EXPECT_EQ(config.database_url, "postgresql://app:dbpass@localhost:5432/app");
    EXPECT_EQ(config.jwt_access_secret, kAccessSecret);
    EXPECT_EQ(config.jwt_refresh_secret, kRefreshSecret);
    EXPECT_EQ(config.jwt_access_expiry, std::chrono::minutes(15));
    EXPECT_EQ(config.jwt_refresh_expiry, std::chrono::hours(24 * 7));
    EXPECT_TRUE(config.cors_origins.empty());
    EXPECT_EQ(config.trust_proxy.kind, util::TrustProxy::Kind::ranges);
    EXPECT_EQ(config.trust_proxy.ranges, util::TrustProxy::loopback().ranges);
    EXPECT_EQ(config.log_level, LogLevel::info);
    EXPECT_EQ(config.rate_limit_rpm, 600);
    EXPECT_EQ(config.rate_limit_window_sec, 900);
    EXPECT_EQ(config.rate_limit_rpm_auth, 120);
    EXPECT_EQ(config.rate_limit_rpm_auth_register, 0.33);
    EXPECT_EQ(config.rate_limit_rpm_auth_password_reset, 0.2);
    EXPECT_FALSE(config.rate_limit_redis_url);
    EXPECT_EQ(config.rate_limit_redis_failure_mode, RedisFailureMode::local);
    EXPECT_FALSE(config.smtp_host);
    EXPECT_FALSE(config.smtp_port);
    EXPECT_FALSE(config.smtp_secure);
    EXPECT_FALSE(config.smtp_user);
    EXPECT_FALSE(config.smtp_pass);
    EXPECT_FALSE(config.smtp_from);
    EXPECT_FALSE(config.smtp_configured());
    EXPECT_FALSE(config.metrics_enabled);
    EXPECT_EQ(config.metrics_guard, MetricsGuard::none);
    EXPECT_FALSE(config.metrics_guard_secret);
    EXPECT_TRUE(config.metrics_guard_allowlist.empty());
    EXPECT_EQ(config.session_cleanup_interval_minutes, 60);
    EXPECT_EQ(config.request_body_limit, 102400U);
    EXPECT_EQ(config.http_request_timeout, std::chrono::milliseconds(30000));
    EXPECT_EQ(config.http_headers_timeout, std::chrono::milliseconds(60000));
    EXPECT_EQ(config.http_keepalive_timeout, std::chrono::milliseconds(5000));
    EXPECT_FALSE(config.auth_email_verification_required);
    EXPECT_EQ(config.auth_email_verification_ttl_minutes, 60);
    EXPECT_EQ(config.auth_password_reset_ttl_minutes, 30);
    EXPECT_EQ(config.auth_login_max_attempts, 5);
    EXPECT_EQ(config.auth_login_lockout_minutes, 15);
    EXPECT_EQ(config.auth_login_attempt_window_minutes, 15);
    EXPECT_TRUE(config.response_compression_enabled);
    EXPECT_EQ(config.response_compression_min_bytes, 1024U);
    // Portcullis additions.
    EXPECT_EQ(config.database_pool_size, 4);
    EXPECT_EQ(config.database_statement_timeout, std::chrono::milliseconds(5000));
    EXPECT_EQ(config.shutdown_delay, std::chrono::milliseconds(0));
    EXPECT_EQ(config.shutdown_timeout, std::chrono::milliseconds(10000));
    EXPECT_EQ(config.auth_argon2_memory_kib, 65536U);
    EXPECT_EQ(config.auth_argon2_iterations, 3U);
    EXPECT_EQ(config.io_threads, 0);
    EXPECT_TRUE(load_config(base_env()).warnings.empty());
}

TEST(LoadConfig, DefaultConfigObjectTrustsLoopback) {
    EXPECT_EQ(Config{}.trust_proxy.ranges, util::TrustProxy::loopback().ranges);
}

TEST(LoadConfig, RequiredVariables) {
    const LoadResult result = load_config({});
    EXPECT_FALSE(result.config);
    ASSERT_EQ(result.problems.size(), 3U);
    EXPECT_EQ(result.problems.at("DATABASE_URL"),
              std::vector<std::string>{"DATABASE_URL must be set"});
    EXPECT_EQ(result.problems.at("JWT_ACCESS_SECRET"),
              std::vector<std::string>{"JWT_ACCESS_SECRET is required"});
    EXPECT_EQ(result.problems.at("JWT_REFRESH_SECRET"),
              std::vector<std::string>{"JWT_REFRESH_SECRET is required"});
    EXPECT_EQ(only_problem(with({{"DATABASE_URL", "  "}}), "DATABASE_URL"),
              "DATABASE_URL must be set");
}

TEST(LoadConfig, ShortJwtSecrets) {
    const LoadResult result =
        load_config(with({{"JWT_ACCESS_SECRET", "short-access"}, {"JWT_REFRESH_SECRET", ""}}));
    ASSERT_EQ(result.problems.size(), 2U);
    EXPECT_EQ(result.problems.at("JWT_ACCESS_SECRET"),
              std::vector<std::string>{"JWT access secret must be at least 32 characters long"});
    EXPECT_EQ(result.problems.at("JWT_REFRESH_SECRET"),
              std::vector<std::string>{"JWT refresh secret must be at least 32 characters long"});
    EXPECT_TRUE(load_config(with({{"JWT_ACCESS_SECRET", std::string(32, 'x')}})).config);
    EXPECT_FALSE(load_config(with({{"JWT_ACCESS_SECRET", std::string(31, 'x')}})).config);
}

TEST(LoadConfig, SecretLengthCountsCharactersLikeJavaScript) {
    std::string emoji;    // 16 surrogate pairs = 32 UTF-16 units in 64 bytes
    std::string accents;  // 31 characters in 62 bytes
    for (int i = 0; i < 16; ++i) {
        emoji += "\xf0\x9f\x98\x80";
    }
    for (int i = 0; i < 31; ++i) {
        accents += "\xc3\xa9";
    }
    EXPECT_TRUE(load_config(with({{"JWT_ACCESS_SECRET", emoji}})).config);
    EXPECT_EQ(only_problem(with({{"JWT_ACCESS_SECRET", accents}}), "JWT_ACCESS_SECRET"),
              "JWT access secret must be at least 32 characters long");
}

TEST(LoadConfig, AppEnvWithNodeEnvFallback) {
    EXPECT_EQ(load_ok(with({{"APP_ENV", "test"}})).app_env, AppEnv::test);
    EXPECT_EQ(load_ok(with({{"NODE_ENV", "test"}})).app_env, AppEnv::test);
    EXPECT_EQ(load_ok(with({{"APP_ENV", "development"}, {"NODE_ENV", "test"}})).app_env,
              AppEnv::development);
    Environment production = production_env();
    production.erase("APP_ENV");
    production["NODE_ENV"] = "production";
    EXPECT_EQ(load_ok(production).app_env, AppEnv::production);
    const std::string message = "APP_ENV must be one of development, test, production";
    EXPECT_EQ(only_problem(with({{"APP_ENV", "staging"}}), "APP_ENV"), message);
    EXPECT_EQ(only_problem(with({{"APP_ENV", ""}}), "APP_ENV"), message);
    EXPECT_EQ(only_problem(with({{"APP_ENV", "Production"}}), "APP_ENV"), message);
    EXPECT_EQ(only_problem(with({{"NODE_ENV", "prod"}}), "NODE_ENV"),
              "NODE_ENV must be one of development, test, production");
    EXPECT_EQ(only_problem(with({{"NODE_ENV", ""}}), "NODE_ENV"),
              "NODE_ENV must be one of development, test, production");
    EXPECT_EQ(only_problem(with({{"APP_ENV", "test"}, {"NODE_ENV", "staging"}}), "NODE_ENV"),
              "NODE_ENV must be one of development, test, production");
}

TEST(LoadConfig, EnumNames) {
    EXPECT_EQ(to_string(AppEnv::production), "production");
    EXPECT_EQ(to_string(AppEnv::development), "development");
    EXPECT_EQ(to_string(AppEnv::test), "test");
    EXPECT_EQ(to_string(LogLevel::trace), "trace");
    EXPECT_EQ(to_string(LogLevel::warn), "warn");
    EXPECT_EQ(to_string(LogLevel::silent), "silent");
    EXPECT_EQ(to_string(MetricsGuard::cidr), "cidr");
    EXPECT_EQ(to_string(RedisFailureMode::closed), "closed");
}

TEST(LoadConfig, Port) {
    EXPECT_EQ(load_ok(with({{"PORT", ""}})).port, 3000);
    EXPECT_EQ(load_ok(with({{"PORT", "8080"}})).port, 8080);
    EXPECT_EQ(load_ok(with({{"PORT", " 8080 "}})).port, 8080);
    EXPECT_EQ(load_ok(with({{"PORT", "0x50"}})).port, 80);
    EXPECT_EQ(load_ok(with({{"PORT", "0"}})).port, 0);
    EXPECT_EQ(load_ok(with({{"PORT", "65535"}})).port, 65535);
    EXPECT_EQ(only_problem(with({{"PORT", "65536"}}), "PORT"), "PORT must be at most 65535");
    for (const char* bad : {"abc", "80.5", "-1", "Infinity", "3000abc"}) {
        EXPECT_EQ(only_problem(with({{"PORT", bad}}), "PORT"),
                  "PORT must be an integer between 0 and 65535")
            << bad;
    }
}

TEST(LoadConfig, LogLevel) {
    for (const auto& [text, level] : {std::pair{"fatal", LogLevel::fatal},
                                      {"error", LogLevel::error},
                                      {"warn", LogLevel::warn},
                                      {"info", LogLevel::info},
                                      {"debug", LogLevel::debug},
                                      {"trace", LogLevel::trace},
                                      {"silent", LogLevel::silent}}) {
        EXPECT_EQ(load_ok(with({{"LOG_LEVEL", text}})).log_level, level) << text;
    }
    for (const char* bad : {"verbose", "INFO", "", " info"}) {
        EXPECT_EQ(only_problem(with({{"LOG_LEVEL", bad}}), "LOG_LEVEL"),
                  "LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent")
            << bad;
    }
}

TEST(LoadConfig, PositiveIntegers) {
    for (const char* name :
         {"SESSION_CLEANUP_INTERVAL_MINUTES", "HTTP_SERVER_REQUEST_TIMEOUT_MS",
          "HTTP_SERVER_HEADERS_TIMEOUT_MS", "HTTP_SERVER_KEEPALIVE_TIMEOUT_MS",
          "AUTH_EMAIL_VERIFICATION_TTL_MINUTES", "AUTH_PASSWORD_RESET_TTL_MINUTES",
          "AUTH_LOGIN_MAX_ATTEMPTS", "AUTH_LOGIN_LOCKOUT_MINUTES",
          "AUTH_LOGIN_ATTEMPT_WINDOW_MINUTES", "DATABASE_POOL_SIZE",
          "DATABASE_STATEMENT_TIMEOUT_MS", "SHUTDOWN_TIMEOUT_MS", "AUTH_ARGON2_ITERATIONS"}) {
        EXPECT_TRUE(load_config(with({{name, "7"}})).config) << name;
        EXPECT_TRUE(load_config(with({{name, " 1e1 "}})).config) << name;
        for (const char* bad : {"0", "-3", "1.5", "abc", "", "Infinity"}) {
            EXPECT_EQ(only_problem(with({{name, bad}}), name),
                      std::string(name) + " must be a positive integer")
                << name << "=" << bad;
        }
    }
    EXPECT_EQ(
        only_problem(with({{"AUTH_LOGIN_MAX_ATTEMPTS", "3000000000"}}), "AUTH_LOGIN_MAX_ATTEMPTS"),
        "AUTH_LOGIN_MAX_ATTEMPTS must be at most 2147483647");
    const Config config = load_ok(with({{"SESSION_CLEANUP_INTERVAL_MINUTES", "5"},
                                        {"HTTP_SERVER_REQUEST_TIMEOUT_MS", "1000"},
                                        {"HTTP_SERVER_HEADERS_TIMEOUT_MS", "2000"},
                                        {"HTTP_SERVER_KEEPALIVE_TIMEOUT_MS", "3000"},
                                        {"AUTH_EMAIL_VERIFICATION_TTL_MINUTES", "11"},
                                        {"AUTH_PASSWORD_RESET_TTL_MINUTES", "12"},
                                        {"AUTH_LOGIN_MAX_ATTEMPTS", "3"},
                                        {"AUTH_LOGIN_LOCKOUT_MINUTES", "13"},
                                        {"AUTH_LOGIN_ATTEMPT_WINDOW_MINUTES", "14"},
                                        {"DATABASE_POOL_SIZE", "8"},
                                        {"DATABASE_STATEMENT_TIMEOUT_MS", "2500"},
                                        {"SHUTDOWN_TIMEOUT_MS", "20000"},
                                        {"AUTH_ARGON2_ITERATIONS", "2"}}));
    EXPECT_EQ(config.session_cleanup_interval_minutes, 5);
    EXPECT_EQ(config.http_request_timeout, std::chrono::milliseconds(1000));
    EXPECT_EQ(config.http_headers_timeout, std::chrono::milliseconds(2000));
    EXPECT_EQ(config.http_keepalive_timeout, std::chrono::milliseconds(3000));
    EXPECT_EQ(config.auth_email_verification_ttl_minutes, 11);
    EXPECT_EQ(config.auth_password_reset_ttl_minutes, 12);
    EXPECT_EQ(config.auth_login_max_attempts, 3);
    EXPECT_EQ(config.auth_login_lockout_minutes, 13);
    EXPECT_EQ(config.auth_login_attempt_window_minutes, 14);
    EXPECT_EQ(config.database_pool_size, 8);
    EXPECT_EQ(config.database_statement_timeout, std::chrono::milliseconds(2500));
    EXPECT_EQ(config.shutdown_timeout, std::chrono::milliseconds(20000));
    EXPECT_EQ(config.auth_argon2_iterations, 2U);
}

TEST(LoadConfig, NonNegativeIntegers) {
    for (const char* name : {"RESPONSE_COMPRESSION_MIN_BYTES", "SHUTDOWN_DELAY_MS", "IO_THREADS"}) {
        EXPECT_TRUE(load_config(with({{name, "0"}})).config) << name;
        EXPECT_TRUE(load_config(with({{name, ""}})).config) << name;  // Number("") is 0
        for (const char* bad : {"-1", "0.5", "abc"}) {
            EXPECT_EQ(only_problem(with({{name, bad}}), name),
                      std::string(name) + " must be a non-negative integer")
                << name << "=" << bad;
        }
    }
    const Config config = load_ok(with({{"RESPONSE_COMPRESSION_MIN_BYTES", "0"},
                                        {"SHUTDOWN_DELAY_MS", "5000"},
                                        {"IO_THREADS", "2"}}));
    EXPECT_EQ(config.response_compression_min_bytes, 0U);
    EXPECT_EQ(config.shutdown_delay, std::chrono::milliseconds(5000));
    EXPECT_EQ(config.io_threads, 2);
}

TEST(LoadConfig, Argon2Memory) {
    EXPECT_EQ(load_ok(with({{"AUTH_ARGON2_MEMORY_KIB", "8192"}})).auth_argon2_memory_kib, 8192U);
    EXPECT_EQ(load_ok(with({{"AUTH_ARGON2_MEMORY_KIB", "262144"}})).auth_argon2_memory_kib,
              262144U);
    for (const char* bad : {"8191", "0", "abc", "65536.5"}) {
        EXPECT_EQ(only_problem(with({{"AUTH_ARGON2_MEMORY_KIB", bad}}), "AUTH_ARGON2_MEMORY_KIB"),
                  "AUTH_ARGON2_MEMORY_KIB must be an integer >= 8192")
            << bad;
    }
}

TEST(LoadConfig, RateLimitNumbers) {
    const Config config = load_ok(with({{"RATE_LIMIT_RPM", "1e2"},
                                        {"RATE_LIMIT_WINDOW_SEC", " 60 "},
                                        {"RATE_LIMIT_RPM_AUTH", "0x10"},
                                        {"RATE_LIMIT_RPM_AUTH_REGISTER", "2"},
                                        {"RATE_LIMIT_RPM_AUTH_PASSWORD_RESET", ""}}));
    EXPECT_EQ(config.rate_limit_rpm, 100);
    EXPECT_EQ(config.rate_limit_window_sec, 60);
    EXPECT_EQ(config.rate_limit_rpm_auth, 16);
    EXPECT_EQ(config.rate_limit_rpm_auth_register, 2);
    EXPECT_EQ(config.rate_limit_rpm_auth_password_reset, 0);
    for (const char* name :
         {"RATE_LIMIT_RPM", "RATE_LIMIT_WINDOW_SEC", "RATE_LIMIT_RPM_AUTH",
          "RATE_LIMIT_RPM_AUTH_REGISTER", "RATE_LIMIT_RPM_AUTH_PASSWORD_RESET"}) {
        for (const char* bad : {"abc", "Infinity", "NaN", "10/min"}) {
            EXPECT_EQ(only_problem(with({{name, bad}}), name),
                      std::string(name) + " must be a number")
                << name << "=" << bad;
        }
    }
}

TEST(LoadConfig, RedisUrl) {
    EXPECT_EQ(
        load_ok(with({{"RATE_LIMIT_REDIS_URL", "redis://:pass@host:6379/0"}})).rate_limit_redis_url,
        "redis://:pass@host:6379/0");
    EXPECT_EQ(
        load_ok(with({{"RATE_LIMIT_REDIS_URL", "  rediss://cache:6380  "}})).rate_limit_redis_url,
        "rediss://cache:6380");
    const std::string message =
        "RATE_LIMIT_REDIS_URL must be a valid URL (e.g. redis://:pass@host:6379)";
    for (const char* bad : {"", "   ", "localhost:6379 extra", "localhost",
                            "redis://:top secret@host", "://host", "redis://host:port"}) {
        EXPECT_EQ(only_problem(with({{"RATE_LIMIT_REDIS_URL", bad}}), "RATE_LIMIT_REDIS_URL"),
                  message)
            << bad;
    }
}

TEST(LoadConfig, RedisFailureMode) {
    EXPECT_EQ(
        load_ok(with({{"RATE_LIMIT_REDIS_FAILURE_MODE", "closed"}})).rate_limit_redis_failure_mode,
        RedisFailureMode::closed);
    EXPECT_EQ(
        load_ok(with({{"RATE_LIMIT_REDIS_FAILURE_MODE", "open"}})).rate_limit_redis_failure_mode,
        RedisFailureMode::open);
    EXPECT_EQ(
        load_ok(with({{"RATE_LIMIT_REDIS_FAILURE_MODE", "local"}})).rate_limit_redis_failure_mode,
        RedisFailureMode::local);
    EXPECT_EQ(only_problem(with({{"RATE_LIMIT_REDIS_FAILURE_MODE", "CLOSED"}}),
                           "RATE_LIMIT_REDIS_FAILURE_MODE"),
              "RATE_LIMIT_REDIS_FAILURE_MODE must be one of local, closed, open");
}

TEST(LoadConfig, Smtp) {
    const Config config = load_ok(with({{"SMTP_HOST", "smtp.example"},
                                        {"SMTP_PORT", "465"},
                                        {"SMTP_SECURE", " TRUE "},
                                        {"SMTP_USER", "mailer"},
                                        {"SMTP_PASS", "mailpass"},
                                        {"SMTP_FROM", "\"Portcullis\" <no-reply@example.com>"}}));
    EXPECT_EQ(config.smtp_host, "smtp.example");
    EXPECT_EQ(config.smtp_port, 465);
    EXPECT_TRUE(config.smtp_secure);
    EXPECT_EQ(config.smtp_user, "mailer");
    EXPECT_EQ(config.smtp_pass, "mailpass");
    EXPECT_EQ(config.smtp_from, "\"Portcullis\" <no-reply@example.com>");
    EXPECT_TRUE(config.smtp_configured());

    EXPECT_EQ(load_ok(with({{"SMTP_FROM", "no-reply@example.com"}})).smtp_from,
              "no-reply@example.com");
    EXPECT_FALSE(load_ok(with({{"SMTP_SECURE", "1"}})).smtp_secure);
    // Empty strings are "not set" for the transport decision, as JavaScript truthiness has it.
    const Config empty = load_ok(with({{"SMTP_HOST", ""}, {"SMTP_PORT", ""}, {"SMTP_USER", ""}}));
    EXPECT_FALSE(empty.smtp_host);
    EXPECT_EQ(empty.smtp_port, 0);
    EXPECT_FALSE(empty.smtp_user);
    const Config port_zero = load_ok(with({{"SMTP_HOST", "smtp.example"},
                                           {"SMTP_PORT", "0"},
                                           {"SMTP_FROM", "no-reply@example.com"}}));
    EXPECT_FALSE(port_zero.smtp_configured());

    const std::string from_message =
        "SMTP_FROM must be an email address or a display name with an address (e.g. Portcullis "
        "<no-reply@example.com>)";
    for (const char* bad :
         {"", "not-an-email", "Portcullis <bad>", "a@example.com\r\nBcc: x@example.com"}) {
        EXPECT_EQ(only_problem(with({{"SMTP_FROM", bad}}), "SMTP_FROM"), from_message) << bad;
    }
    for (const char* bad : {"abc", "70000", "25.5", "-1"}) {
        EXPECT_FALSE(load_config(with({{"SMTP_PORT", bad}})).config) << bad;
    }
    EXPECT_EQ(only_problem(with({{"SMTP_PORT", "abc"}}), "SMTP_PORT"),
              "SMTP_PORT must be an integer between 0 and 65535");
}

TEST(LoadConfig, MetricsGuardEnum) {
    EXPECT_EQ(only_problem(with({{"METRICS_GUARD", "ip"}}), "METRICS_GUARD"),
              "METRICS_GUARD must be one of none, secret, cidr");
    EXPECT_EQ(only_problem(with({{"METRICS_GUARD", ""}}), "METRICS_GUARD"),
              "METRICS_GUARD must be one of none, secret, cidr");
    EXPECT_TRUE(load_ok(with({{"METRICS_ENABLED", "true"}})).metrics_enabled);
    EXPECT_FALSE(load_ok(with({{"METRICS_ENABLED", "1"}})).metrics_enabled);
}

TEST(LoadConfig, RequestBodyLimit) {
    EXPECT_EQ(load_ok(with({{"REQUEST_BODY_LIMIT", "1mb"}})).request_body_limit, 1048576U);
    EXPECT_EQ(load_ok(with({{"REQUEST_BODY_LIMIT", "512"}})).request_body_limit, 512U);
    EXPECT_EQ(load_ok(with({{"REQUEST_BODY_LIMIT", "1.5KB"}})).request_body_limit, 1536U);
    EXPECT_EQ(load_ok(with({{"REQUEST_BODY_LIMIT", ""}})).request_body_limit, 102400U);
    for (const char* bad : {"lots", "-1kb", "1 megabyte", "10k"}) {
        EXPECT_EQ(only_problem(with({{"REQUEST_BODY_LIMIT", bad}}), "REQUEST_BODY_LIMIT"),
                  "REQUEST_BODY_LIMIT must be a byte size such as \"100kb\" or \"1mb\"")
            << bad;
    }
}

TEST(LoadConfig, AbuseLimits) {
    // Issue #19: defaults that hold on two cores, each limit configurable and validated.
    const auto defaults = load_config(base_env());
    ASSERT_TRUE(defaults.config);
    EXPECT_EQ(defaults.config->http_max_header_bytes, 16384u);
    EXPECT_EQ(defaults.config->http_max_header_fields, 100u);
    EXPECT_EQ(defaults.config->http_max_connections, 10000u);
    EXPECT_EQ(defaults.config->http_max_connections_per_ip, 1000u);
    EXPECT_EQ(defaults.config->http_max_requests_per_connection, 1000u);

    const auto set = load_config(with({{"HTTP_SERVER_MAX_HEADER_BYTES", "8kb"},
                                       {"HTTP_SERVER_MAX_HEADER_FIELDS", "50"},
                                       {"HTTP_SERVER_MAX_CONNECTIONS", "0"},
                                       {"HTTP_SERVER_MAX_CONNECTIONS_PER_IP", "0"},
                                       {"HTTP_SERVER_MAX_REQUESTS_PER_CONNECTION", "10"}}));
    ASSERT_TRUE(set.config);
    EXPECT_EQ(set.config->http_max_header_bytes, 8192u);
    EXPECT_EQ(set.config->http_max_header_fields, 50u);
    EXPECT_EQ(set.config->http_max_connections, 0u);  // only the descriptor limit
    EXPECT_EQ(set.config->http_max_connections_per_ip, 0u);
    EXPECT_EQ(set.config->http_max_requests_per_connection, 10u);

    const auto bad = load_config(with({{"HTTP_SERVER_MAX_HEADER_BYTES", "100"},
                                       {"HTTP_SERVER_MAX_HEADER_FIELDS", "0"},
                                       {"HTTP_SERVER_MAX_CONNECTIONS", "-1"},
                                       {"HTTP_SERVER_MAX_CONNECTIONS_PER_IP", "lots"},
                                       {"HTTP_SERVER_MAX_REQUESTS_PER_CONNECTION", "1.5"}}));
    EXPECT_FALSE(bad.config);
    for (const char* name : {"HTTP_SERVER_MAX_HEADER_BYTES", "HTTP_SERVER_MAX_HEADER_FIELDS",
                             "HTTP_SERVER_MAX_CONNECTIONS", "HTTP_SERVER_MAX_CONNECTIONS_PER_IP",
                             "HTTP_SERVER_MAX_REQUESTS_PER_CONNECTION"}) {
        EXPECT_EQ(bad.problems.count(name), 1u) << name;
    }
    EXPECT_FALSE(load_config(with({{"HTTP_SERVER_MAX_HEADER_BYTES", "2mb"}})).config);
    EXPECT_TRUE(load_config(with({{"HTTP_SERVER_MAX_HEADER_BYTES", "1mb"}})).config);
}

TEST(LoadConfig, TokenExpiries) {
    const Config config =
        load_ok(with({{"JWT_ACCESS_EXPIRY", "1h"}, {"JWT_REFRESH_EXPIRY", "30m"}}));
    EXPECT_EQ(config.jwt_access_expiry, std::chrono::hours(1));
    EXPECT_EQ(config.jwt_refresh_expiry, std::chrono::minutes(30));
    EXPECT_EQ(only_problem(with({{"JWT_ACCESS_EXPIRY", "900"}}), "JWT_ACCESS_EXPIRY"),
              "JWT_ACCESS_EXPIRY must include a unit (e.g. \"900s\" or \"15m\"); a bare number is "
              "ambiguous");
    EXPECT_EQ(only_problem(with({{"JWT_REFRESH_EXPIRY", "604800"}}), "JWT_REFRESH_EXPIRY"),
              "JWT_REFRESH_EXPIRY must include a unit (e.g. \"900s\" or \"15m\"); a bare number is "
              "ambiguous");
    EXPECT_EQ(only_problem(with({{"JWT_ACCESS_EXPIRY", "soon"}}), "JWT_ACCESS_EXPIRY"),
              "JWT_ACCESS_EXPIRY must be a duration such as \"15m\", \"12h\" or \"7d\"");
    EXPECT_EQ(only_problem(with({{"JWT_ACCESS_EXPIRY", ""}}), "JWT_ACCESS_EXPIRY"),
              "JWT_ACCESS_EXPIRY must be a duration such as \"15m\", \"12h\" or \"7d\"");
    EXPECT_EQ(only_problem(with({{"JWT_REFRESH_EXPIRY", "0d"}}), "JWT_REFRESH_EXPIRY"),
              "JWT_REFRESH_EXPIRY must be greater than zero");
    EXPECT_EQ(only_problem(with({{"JWT_ACCESS_EXPIRY", "-15m"}}), "JWT_ACCESS_EXPIRY"),
              "JWT_ACCESS_EXPIRY must be greater than zero");
}

TEST(LoadConfig, ResponseCompressionEnabled) {
    EXPECT_TRUE(load_ok(with({{"RESPONSE_COMPRESSION_ENABLED", ""}})).response_compression_enabled);
    EXPECT_TRUE(
        load_ok(with({{"RESPONSE_COMPRESSION_ENABLED", "TRUE"}})).response_compression_enabled);
    for (const char* off : {"false", "0", "no", "1", "yes", " "}) {
        EXPECT_FALSE(
            load_ok(with({{"RESPONSE_COMPRESSION_ENABLED", off}})).response_compression_enabled)
            << off;
    }
}

TEST(LoadConfig, CorsAndTrustProxy) {
    const Config config = load_ok(
        with({{"CORS_ORIGINS", "https://a.example, https://b.example,"}, {"TRUST_PROXY", "1"}}));
    EXPECT_EQ(config.cors_origins,
              (std::vector<std::string>{"https://a.example", "https://b.example"}));
    EXPECT_EQ(config.trust_proxy.kind, util::TrustProxy::Kind::hops);
    EXPECT_EQ(config.trust_proxy.hops, 1);
    EXPECT_EQ(
        load_ok(with({{"TRUST_PROXY", "uniquelocal, 203.0.113.0/24"}})).trust_proxy.ranges.size(),
        5U);
    EXPECT_EQ(load_ok(with({{"TRUST_PROXY", ""}})).trust_proxy.kind,
              util::TrustProxy::Kind::nothing);
    EXPECT_EQ(only_problem(with({{"TRUST_PROXY", "loopback, proxy.internal"}}), "TRUST_PROXY"),
              "invalid IP address: proxy.internal");
}

// --- Phase two: contract 2.3 ---

TEST(LoadConfig, MetricsGuardSecretRules) {
    EXPECT_EQ(only_problem(with({{"METRICS_GUARD", "secret"}}), "METRICS_GUARD_SECRET"),
              "METRICS_GUARD_SECRET is required when METRICS_GUARD=secret");
    EXPECT_EQ(only_problem(with({{"METRICS_GUARD", "secret"}, {"METRICS_GUARD_SECRET", "   "}}),
                           "METRICS_GUARD_SECRET"),
              "METRICS_GUARD_SECRET is required when METRICS_GUARD=secret");
    for (const char* guard : {"none", "cidr"}) {
        Environment env = with({{"METRICS_GUARD", guard}, {"METRICS_GUARD_SECRET", "scrapekey"}});
        if (std::string(guard) == "cidr") {
            env["METRICS_GUARD_ALLOWLIST"] = "10.0.0.0/8";
        }
        EXPECT_EQ(only_problem(env, "METRICS_GUARD_SECRET"),
                  "METRICS_GUARD_SECRET provided but METRICS_GUARD is not set to secret")
            << guard;
    }
    EXPECT_EQ(only_problem(with({{"METRICS_GUARD_SECRET", "scrapekey"}}), "METRICS_GUARD_SECRET"),
              "METRICS_GUARD_SECRET provided but METRICS_GUARD is not set to secret");
    // Absent or empty (blank) is fine without the secret guard.
    EXPECT_TRUE(load_config(with({{"METRICS_GUARD_SECRET", ""}})).config);
    EXPECT_TRUE(load_config(with({{"METRICS_GUARD_SECRET", "  "}})).config);
    const Config config =
        load_ok(with({{"METRICS_GUARD", "secret"}, {"METRICS_GUARD_SECRET", "  scrapekey  "}}));
    EXPECT_EQ(config.metrics_guard, MetricsGuard::secret);
    EXPECT_EQ(config.metrics_guard_secret, "scrapekey");
}

TEST(LoadConfig, MetricsGuardAllowlistRules) {
    EXPECT_EQ(only_problem(with({{"METRICS_GUARD", "cidr"}}), "METRICS_GUARD_ALLOWLIST"),
              "Provide at least one CIDR when METRICS_GUARD=cidr");
    EXPECT_EQ(only_problem(with({{"METRICS_GUARD", "cidr"}, {"METRICS_GUARD_ALLOWLIST", " , "}}),
                           "METRICS_GUARD_ALLOWLIST"),
              "Provide at least one CIDR when METRICS_GUARD=cidr");
    EXPECT_EQ(
        only_problem(with({{"METRICS_GUARD", "cidr"},
                           {"METRICS_GUARD_ALLOWLIST", "10.0.0.0/8, 10.0.0.1, bogus/8,::/129"}}),
                     "METRICS_GUARD_ALLOWLIST"),
        "Invalid CIDR entries: 10.0.0.1, bogus/8, ::/129");
    for (const char* guard : {"none", "secret"}) {
        Environment env =
            with({{"METRICS_GUARD", guard}, {"METRICS_GUARD_ALLOWLIST", "10.0.0.0/8"}});
        if (std::string(guard) == "secret") {
            env["METRICS_GUARD_SECRET"] = "scrapekey";
        }
        EXPECT_EQ(only_problem(env, "METRICS_GUARD_ALLOWLIST"),
                  "METRICS_GUARD_ALLOWLIST provided but METRICS_GUARD is not set to cidr")
            << guard;
    }
    EXPECT_TRUE(load_config(with({{"METRICS_GUARD_ALLOWLIST", ""}})).config);
    const Config config = load_ok(
        with({{"METRICS_GUARD", "cidr"},
              {"METRICS_GUARD_ALLOWLIST", "203.0.113.0/24, ::ffff:10.0.0.0/104,2001:db8::/32"}}));
    ASSERT_EQ(config.metrics_guard_allowlist.size(), 3U);
    EXPECT_EQ(util::to_string(config.metrics_guard_allowlist[0]), "203.0.113.0/24");
    EXPECT_EQ(config.metrics_guard_allowlist[1], *util::parse_cidr("10.0.0.0/8"));
    EXPECT_EQ(util::to_string(config.metrics_guard_allowlist[2]), "2001:db8::/32");
}

TEST(LoadConfig, BothGuardRulesReportTogether) {
    const LoadResult result =
        load_config(with({{"METRICS_GUARD", "secret"}, {"METRICS_GUARD_ALLOWLIST", "10.0.0.0/8"}}));
    EXPECT_FALSE(result.config);
    EXPECT_EQ(result.problems.size(), 2U);
    EXPECT_EQ(result.problems.count("METRICS_GUARD_SECRET"), 1U);
    EXPECT_EQ(result.problems.count("METRICS_GUARD_ALLOWLIST"), 1U);
}

TEST(LoadConfig, PerVariableAndCrossFieldProblemsAreListedTogether) {
    // Decisions B.1 over the two phases of contract 2.3: one list of every problem.
    const LoadResult result = load_config(with({{"JWT_ACCESS_SECRET", "short"},
                                                {"METRICS_GUARD", "cidr"},
                                                {"METRICS_GUARD_ALLOWLIST", "10.0.0.0/8, nope"}}));
    EXPECT_FALSE(result.config);
    EXPECT_EQ(result.problems.size(), 2U);
    EXPECT_EQ(result.problems.at("JWT_ACCESS_SECRET"),
              std::vector<std::string>{"JWT access secret must be at least 32 characters long"});
    EXPECT_EQ(result.problems.at("METRICS_GUARD_ALLOWLIST"),
              std::vector<std::string>{"Invalid CIDR entries: nope"});

    const LoadResult both = load_config(with({{"METRICS_GUARD", "secret"}, {"LOG_LEVEL", "loud"}}));
    EXPECT_EQ(both.problems.size(), 2U);
    EXPECT_EQ(both.problems.at("LOG_LEVEL"),
              std::vector<std::string>{
                  "LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent"});
    EXPECT_EQ(both.problems.count("METRICS_GUARD_SECRET"), 1U);

    Environment production = with({{"APP_ENV", "production"}, {"PORT", "http"}});
    const LoadResult listed = load_config(production);
    EXPECT_EQ(listed.problems.at("PORT"),
              std::vector<std::string>{"PORT must be an integer between 0 and 65535"});
    EXPECT_EQ(listed.problems.count("CORS_ORIGINS"), 1U);
    EXPECT_EQ(listed.problems.count("RATE_LIMIT_REDIS_URL"), 1U);
    EXPECT_TRUE(listed.warnings.empty());  // a failed start logs its problems, not warnings
}

TEST(LoadConfig, CrossFieldRuleIgnoresAnInputThatFailedItsOwnCheck) {
    // An invalid guard is reported once, not again as "secret provided but guard is not secret".
    EXPECT_EQ(only_problem(with({{"METRICS_GUARD", "bogus"}, {"METRICS_GUARD_SECRET", "k"}}),
                           "METRICS_GUARD"),
              "METRICS_GUARD must be one of none, secret, cidr");
    EXPECT_EQ(
        only_problem(with({{"METRICS_GUARD", "bogus"}, {"METRICS_GUARD_ALLOWLIST", "10.0.0.0/8"}}),
                     "METRICS_GUARD"),
        "METRICS_GUARD must be one of none, secret, cidr");
    // An unknown environment is not treated as production (nor as anything else).
    const LoadResult typo = load_config(with({{"APP_ENV", "prod"}}));
    EXPECT_EQ(typo.problems.size(), 1U);
    EXPECT_EQ(typo.problems.count("APP_ENV"), 1U);
    // A Redis URL that is set but invalid is not also "required in production".
    Environment env = production_env();
    env["RATE_LIMIT_REDIS_URL"] = "";
    EXPECT_EQ(only_problem(env, "RATE_LIMIT_REDIS_URL"),
              "RATE_LIMIT_REDIS_URL must be a valid URL (e.g. redis://:pass@host:6379)");
    // An invalid SMTP_FROM is its own problem, not also "verification needs SMTP".
    env = production_env();
    env["AUTH_EMAIL_VERIFICATION_REQUIRED"] = "true";
    env["SMTP_FROM"] = "not an address";
    EXPECT_EQ(load_config(env).problems.size(), 1U);
    EXPECT_EQ(load_config(env).problems.count("SMTP_FROM"), 1U);
}

TEST(LoadConfig, ScopeReadsOnlyWhatACommandUses) {
    // Decisions E.3: a database command runs with DATABASE_URL alone.
    const Environment database_only{{"DATABASE_URL", "postgresql://app@db/app"}};
    const LoadResult db = load_config(database_only, Scope{.database = true});
    ASSERT_TRUE(db.config) << db.problems.size();
    EXPECT_EQ(db.config->database_url, "postgresql://app@db/app");
    EXPECT_FALSE(load_config(database_only).config);  // serve needs the JWT secrets too

    const LoadResult missing = load_config({}, Scope{.database = true});
    ASSERT_EQ(missing.problems.size(), 1U);
    EXPECT_EQ(missing.problems.at("DATABASE_URL"),
              std::vector<std::string>{"DATABASE_URL must be set"});

    // Settings outside the scope are neither read nor validated...
    EXPECT_TRUE(load_config({{"DATABASE_URL", "postgresql://db/app"},
                             {"CORS_ORIGINS", ""},
                             {"SMTP_PORT", "smtp"},
                             {"APP_ENV", "production"},
                             {"JWT_ACCESS_SECRET", "short"}},
                            Scope{.database = true})
                    .config);
    // ...but those inside are, and the environment kind always is.
    EXPECT_EQ(load_config({{"DATABASE_URL", "postgresql://db/app"},
                           {"DATABASE_STATEMENT_TIMEOUT_MS", "-1"}},
                          Scope{.database = true})
                  .problems.count("DATABASE_STATEMENT_TIMEOUT_MS"),
              1U);
    EXPECT_EQ(load_config({{"APP_ENV", "staging"}}, Scope{}).problems.count("APP_ENV"), 1U);

    const LoadResult cleanup =
        load_config({{"DATABASE_URL", "postgresql://db/app"}, {"JWT_REFRESH_EXPIRY", "3600"}},
                    Scope{.database = true, .refresh_expiry = true});
    EXPECT_EQ(cleanup.problems.count("JWT_REFRESH_EXPIRY"), 1U);  // a bare number (B.14)
    const LoadResult redis = load_config({{"RATE_LIMIT_REDIS_URL", "::"}}, Scope{.redis = true});
    EXPECT_EQ(redis.problems.count("RATE_LIMIT_REDIS_URL"), 1U);
}

TEST(LoadConfig, KnownVariablesComeFromTheValidation) {
    const std::vector<std::string> names = known_variables();
    EXPECT_TRUE(std::is_sorted(names.begin(), names.end()));
    for (const char* name :
         {"APP_ENV", "NODE_ENV", "DATABASE_URL", "JWT_ACCESS_SECRET", "JWT_REFRESH_EXPIRY",
          "SMTP_PASS", "METRICS_GUARD_ALLOWLIST", "SESSION_CLEANUP_INTERVAL_MINUTES",
          "RESPONSE_COMPRESSION_MIN_BYTES", "IO_THREADS", "SHUTDOWN_DELAY_MS"}) {
        EXPECT_TRUE(std::binary_search(names.begin(), names.end(), std::string(name))) << name;
    }
    // Every name is one the validation consults: a value for it changes the verdict or the
    // Config. Spot-check that an invented name is not listed.
    EXPECT_FALSE(std::binary_search(names.begin(), names.end(), std::string("POSTGRES_USER")));
}

TEST(LoadConfig, ProductionNeedsCorsAndRedis) {
    const Config config = load_ok(production_env());
    EXPECT_TRUE(config.production());
    EXPECT_TRUE(load_config(production_env()).warnings.empty());

    Environment env = production_env();
    env.erase("CORS_ORIGINS");
    EXPECT_EQ(only_problem(env, "CORS_ORIGINS"),
              "Set CORS_ORIGINS with at least one allowed origin in production");
    env = production_env();
    env["CORS_ORIGINS"] = " , ";
    EXPECT_EQ(only_problem(env, "CORS_ORIGINS"),
              "Set CORS_ORIGINS with at least one allowed origin in production");
    env = production_env();
    env.erase("RATE_LIMIT_REDIS_URL");
    EXPECT_EQ(only_problem(env, "RATE_LIMIT_REDIS_URL"),
              "RATE_LIMIT_REDIS_URL is required in production");
}

TEST(LoadConfig, ProductionMetricsNeedAGuard) {
    Environment env = production_env();
    env["METRICS_ENABLED"] = "true";
    EXPECT_EQ(only_problem(env, "METRICS_GUARD"),
              "METRICS_GUARD must be secret or cidr when METRICS_ENABLED=true in production");
    env["METRICS_GUARD"] = "secret";
    env["METRICS_GUARD_SECRET"] = "scrapekey";
    EXPECT_TRUE(load_config(env).config);
    env.erase("METRICS_GUARD_SECRET");
    env["METRICS_GUARD"] = "cidr";
    env["METRICS_GUARD_ALLOWLIST"] = "203.0.113.0/24";
    EXPECT_TRUE(load_config(env).config);
    // Outside production an unguarded /metrics is allowed.
    EXPECT_TRUE(load_config(with({{"METRICS_ENABLED", "true"}})).config);
    EXPECT_TRUE(load_config(with({{"APP_ENV", "test"}, {"METRICS_ENABLED", "true"}})).config);
}

TEST(LoadConfig, ProductionListsEveryProblemOfPhaseTwo) {
    const LoadResult result = load_config(with({{"APP_ENV", "production"},
                                                {"METRICS_ENABLED", "true"},
                                                {"METRICS_GUARD_SECRET", "scrapekey"},
                                                {"AUTH_EMAIL_VERIFICATION_REQUIRED", "true"}}));
    EXPECT_FALSE(result.config);
    EXPECT_EQ(result.problems.size(), 5U);
    for (const char* name : {"METRICS_GUARD_SECRET", "METRICS_GUARD", "CORS_ORIGINS",
                             "RATE_LIMIT_REDIS_URL", "AUTH_EMAIL_VERIFICATION_REQUIRED"}) {
        EXPECT_EQ(result.problems.count(name), 1U) << name;
    }
}

TEST(LoadConfig, EmptyCidrAllowlistStillListsProductionProblems) {
    // Contract 2.3 says the remaining rules are skipped after "Provide at least one CIDR"; only the
    // allowlist's own entry check is skipped here, so every other problem is still listed (B.1).
    const LoadResult result =
        load_config(with({{"APP_ENV", "production"}, {"METRICS_GUARD", "cidr"}}));
    EXPECT_EQ(result.problems.at("METRICS_GUARD_ALLOWLIST"),
              std::vector<std::string>{"Provide at least one CIDR when METRICS_GUARD=cidr"});
    EXPECT_EQ(result.problems.count("CORS_ORIGINS"), 1U);
    EXPECT_EQ(result.problems.count("RATE_LIMIT_REDIS_URL"), 1U);
}

TEST(LoadConfig, ProductionEmailVerificationNeedsSmtp) {
    Environment env = production_env();
    env["AUTH_EMAIL_VERIFICATION_REQUIRED"] = "true";
    EXPECT_TRUE(load_config(env).config);
    for (const char* missing : {"SMTP_HOST", "SMTP_PORT", "SMTP_FROM"}) {
        Environment without = env;
        without.erase(missing);
        EXPECT_EQ(only_problem(without, "AUTH_EMAIL_VERIFICATION_REQUIRED"),
                  "AUTH_EMAIL_VERIFICATION_REQUIRED=true in production needs SMTP (set SMTP_HOST, "
                  "SMTP_PORT and SMTP_FROM); nobody could verify an account")
            << missing;
    }
    env["SMTP_PORT"] = "0";
    EXPECT_FALSE(load_config(env).config);
    // Outside production the console fallback is acceptable.
    EXPECT_TRUE(load_config(with({{"AUTH_EMAIL_VERIFICATION_REQUIRED", "true"}})).config);
}

TEST(LoadConfig, ProductionWithoutSmtpWarns) {
    Environment env = production_env();
    env.erase("SMTP_HOST");
    const LoadResult result = load_config(env);
    ASSERT_TRUE(result.config);
    ASSERT_EQ(result.warnings.size(), 1U);
    EXPECT_NE(result.warnings.front().find("SMTP"), std::string::npos);
    EXPECT_TRUE(load_config(base_env()).warnings.empty());  // development: no warning
}

TEST(LoadConfig, NoMessageContainsASecret) {
    const std::string marker = "Zq7SECRETzq7";
    const auto check = [&](const Environment& env) {
        const LoadResult result = load_config(env);
        EXPECT_FALSE(result.problems.empty());
        for (const auto& [name, messages] : result.problems) {
            for (const auto& message : messages) {
                EXPECT_EQ(message.find(marker), std::string::npos) << name << ": " << message;
                EXPECT_EQ(message.find("Zq7"), std::string::npos) << name << ": " << message;
            }
        }
        for (const auto& warning : result.warnings) {
            EXPECT_EQ(warning.find("Zq7"), std::string::npos) << warning;
        }
    };
    // Phase one: every secret-bearing variable set to something invalid that contains the marker.
    check({{"DATABASE_URL", "postgresql://app:" + marker + "@db/app"},
           {"JWT_ACCESS_SECRET", marker},
           {"JWT_REFRESH_SECRET", marker + "x"},
           {"RATE_LIMIT_REDIS_URL", "redis://:" + marker + " x@host:6379"},
           {"SMTP_PASS", marker},
           {"SMTP_FROM", marker},
           {"METRICS_GUARD", marker},
           {"METRICS_GUARD_SECRET", marker},
           {"JWT_ACCESS_EXPIRY", marker},
           {"APP_ENV", marker}});
    // Phase two: the secret given without its guard, and a production problem list.
    check(with({{"APP_ENV", "production"},
                {"METRICS_GUARD_SECRET", marker},
                {"SMTP_PASS", marker},
                {"RATE_LIMIT_REDIS_URL", "redis://:" + marker + "@host:6379"},
                {"AUTH_EMAIL_VERIFICATION_REQUIRED", "true"}}));
}

}  // namespace
}  // namespace portcullis::config

namespace portcullis::config {
namespace {

TEST(RateLimitSettings, RedisUseTimeoutAndTheBenchmarkSwitch) {
    const Config plain = load_ok(base_env());
    EXPECT_FALSE(plain.redis_in_use());
    EXPECT_TRUE(plain.rate_limit_enabled);
    EXPECT_EQ(plain.rate_limit_redis_timeout, std::chrono::milliseconds(500));

    const Config with_redis = load_ok(with(
        {{"RATE_LIMIT_REDIS_URL", " redis://h:6379 "}, {"RATE_LIMIT_REDIS_TIMEOUT_MS", "250"}}));
    EXPECT_TRUE(with_redis.redis_in_use());
    EXPECT_EQ(with_redis.rate_limit_redis_url, "redis://h:6379");
    EXPECT_EQ(with_redis.rate_limit_redis_timeout, std::chrono::milliseconds(250));
    // Contract 6.5: NODE_ENV=test keeps the memory store even with a URL.
    EXPECT_FALSE(
        load_ok(with({{"APP_ENV", "test"}, {"RATE_LIMIT_REDIS_URL", "redis://h"}})).redis_in_use());

    EXPECT_FALSE(load_ok(with({{"RATE_LIMIT_ENABLED", "false"}})).rate_limit_enabled);
    Environment production = production_env();
    production["RATE_LIMIT_ENABLED"] = "false";
    EXPECT_NE(only_problem(production, "RATE_LIMIT_ENABLED").find("production"), std::string::npos);
}

}  // namespace
}  // namespace portcullis::config
