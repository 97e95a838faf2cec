// The immutable service configuration (contract section 2, decisions B.1, B.13, B.14, B.16, D).
// Built once by load_config() in main.cpp and passed by const reference; nothing reads the
// environment after start-up.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "util/cidr.hpp"
#include "util/trust_proxy.hpp"

namespace portcullis::config {

enum class AppEnv { development, test, production };
enum class LogLevel {
    trace = 10,
    debug = 20,
    info = 30,
    warn = 40,
    error = 50,
    fatal = 60,
    silent = 100
};
enum class MetricsGuard { none, secret, cidr };
enum class RedisFailureMode { local, closed, open };
// AUTH_PASSWORD_BLOCKLIST (issue #16): the built-in list, nothing, or the built-in list and a
// Have-I-Been-Pwned style file.
enum class PasswordBlocklistMode { builtin, off, file };
enum class JwtAlgorithm { hs256, eddsa };

std::string_view to_string(AppEnv env);
std::string_view to_string(LogLevel level);
std::string_view to_string(MetricsGuard guard);
std::string_view to_string(RedisFailureMode mode);
std::string_view to_string(JwtAlgorithm algorithm);

struct Config {
    AppEnv app_env = AppEnv::development;
    std::uint16_t port = 3000;

    std::string database_url;
    int database_pool_size = 4;  // per I/O thread
    std::chrono::milliseconds database_statement_timeout{5000};

    std::string jwt_access_secret;
    std::string jwt_refresh_secret;
    std::chrono::milliseconds jwt_access_expiry{15 * 60 * 1000};
    std::chrono::milliseconds jwt_refresh_expiry{7LL * 24 * 3600 * 1000};
    // Issue #15: secrets of before a rotation (verify only), the access-token algorithm and the
    // Ed25519 keys of EdDSA (a folder of PEM files, or one PEM in the environment).
    std::vector<std::string> jwt_access_secret_previous;
    std::vector<std::string> jwt_refresh_secret_previous;
    JwtAlgorithm jwt_access_algorithm = JwtAlgorithm::hs256;
    std::optional<std::string> jwt_signing_keys_dir;
    std::optional<std::string> jwt_signing_key;  // PEM text
    std::chrono::seconds auth_refresh_reuse_grace{0};

    std::vector<std::string> cors_origins;
    util::TrustProxy trust_proxy = util::TrustProxy::loopback();
    LogLevel log_level = LogLevel::info;

    double rate_limit_rpm = 600;
    double rate_limit_window_sec = 900;
    double rate_limit_rpm_auth = 120;
    double rate_limit_rpm_auth_register = 0.33;
    double rate_limit_rpm_auth_password_reset = 0.2;
    std::optional<std::string> rate_limit_redis_url;  // trimmed
    RedisFailureMode rate_limit_redis_failure_mode = RedisFailureMode::local;
    std::chrono::milliseconds rate_limit_redis_timeout{500};  // deadline of every Redis call
    bool rate_limit_enabled = true;  // RATE_LIMIT_ENABLED=false: no limiter (benchmarks only)

    std::optional<std::string> smtp_host;
    std::optional<int> smtp_port;
    bool smtp_secure = false;
    std::optional<std::string> smtp_user;
    std::optional<std::string> smtp_pass;
    std::optional<std::string> smtp_from;  // bare address or `Name <address>`
    std::chrono::milliseconds smtp_connect_timeout{10000};
    std::chrono::milliseconds smtp_timeout{30000};  // one whole SMTP transaction

    // The email outbox (decisions C.2): poll interval and retry schedule of the sender.
    std::chrono::milliseconds email_outbox_poll_interval{1000};
    std::chrono::milliseconds email_outbox_retry_base{5000};
    std::chrono::milliseconds email_outbox_retry_max{10 * 60 * 1000};
    int email_outbox_max_attempts = 10;

    bool metrics_enabled = false;
    bool metrics_recording = true;  // METRICS_RECORDING: record request metrics at all
    MetricsGuard metrics_guard = MetricsGuard::none;
    std::optional<std::string> metrics_guard_secret;  // trimmed
    std::vector<util::Cidr> metrics_guard_allowlist;

    int session_cleanup_interval_minutes = 60;
    std::size_t request_body_limit = 100 * 1024;
    std::chrono::milliseconds http_request_timeout{30000};
    std::chrono::milliseconds http_headers_timeout{60000};
    std::chrono::milliseconds http_keepalive_timeout{5000};
    // Abuse limits (issue #19). The defaults hold on a 2-core machine: 10,000 idle connections
    // cost ~30 MB, and one address cannot take more than a tenth of the connections.
    std::size_t http_max_header_bytes = 16 * 1024;  // request line + header fields (Node's)
    std::size_t http_max_header_fields = 100;
    std::size_t http_max_connections = 10000;             // 0: only the descriptor limit
    std::size_t http_max_connections_per_ip = 1000;       // untrusted socket peers; 0: no cap
    std::size_t http_max_requests_per_connection = 1000;  // 0: no cap
    std::chrono::milliseconds shutdown_delay{0};
    std::chrono::milliseconds shutdown_timeout{10000};

    bool auth_email_verification_required = false;
    int auth_email_verification_ttl_minutes = 60;
    int auth_password_reset_ttl_minutes = 30;
    int auth_login_max_attempts = 5;
    int auth_login_lockout_minutes = 15;
    int auth_login_attempt_window_minutes = 15;
    std::uint32_t auth_argon2_memory_kib = 65536;
    std::uint32_t auth_argon2_iterations = 3;

    // Account security (issue #16).
    // AUTH_MFA_ENCRYPTION_KEY: the key material of the sealed TOTP secrets (>= 32 characters);
    // unset, MFA enrolment answers 503 MFA_NOT_CONFIGURED.
    std::optional<std::string> auth_mfa_encryption_key;
    std::string auth_mfa_issuer = "Portcullis";  // the issuer authenticator apps show
    PasswordBlocklistMode auth_password_blocklist = PasswordBlocklistMode::builtin;
    std::string auth_password_blocklist_file;  // with PasswordBlocklistMode::file
    bool audit_events_enabled = true;          // AUDIT_EVENTS_ENABLED
    int audit_retention_days = 90;             // AUDIT_RETENTION_DAYS; 0 keeps events forever

    bool response_compression_enabled = true;
    std::size_t response_compression_min_bytes = 1024;

    int io_threads = 0;  // 0 = one per CPU the process may use (cgroup quota included)
    // Where the cgroup CPU quota is read from; tests point it at a prepared tree.
    std::string cgroup_root = "/sys/fs/cgroup";

    bool production() const { return app_env == AppEnv::production; }
    // Contract 6.5: the limiters (and, decisions A.2, the lockout counters) use Redis when a URL
    // is set, except under NODE_ENV=test.
    bool redis_in_use() const { return rate_limit_redis_url && app_env != AppEnv::test; }
    bool smtp_configured() const { return smtp_host && smtp_port && *smtp_port != 0 && smtp_from; }
};

// Problems found while validating, keyed by variable name, every message kept (decisions B.1).
using Problems = std::map<std::string, std::vector<std::string>>;

// Where variables come from: the process environment overlaid on a `.env` file.
using Environment = std::map<std::string, std::string>;

struct LoadResult {
    std::optional<Config> config;  // set when problems is empty
    // What was read even when problems were found (a failed variable keeps its default), so a
    // caller can check what config/ cannot (e.g. whether libpq accepts DATABASE_URL) and report
    // it in the same list.
    Config values;
    Problems problems;
    std::vector<std::string>
        warnings;  // non-fatal notes to log at start (e.g. production without SMTP)
};

// The groups of settings a command reads (decisions E.3: each command needs only what it uses).
// The environment kind (APP_ENV/NODE_ENV) and LOG_LEVEL are always read; the rest keep their
// defaults and are not validated unless their group is asked for.
struct Scope {
    bool database = false;            // DATABASE_URL, pool size, statement timeout
    bool redis = false;               // RATE_LIMIT_REDIS_URL and its call timeout
    bool port = false;                // PORT
    bool refresh_expiry = false;      // JWT_REFRESH_EXPIRY (session cleanup)
    bool server = false;              // everything `serve` reads, cross-field rules included
    bool password_blocklist = false;  // AUTH_PASSWORD_BLOCKLIST (`portcullis blocklist`)
    bool signing_keys = false;        // JWT_SIGNING_KEYS_DIR (portcullis keys generate)

    static Scope everything() { return {true, true, true, true, true, true}; }
};

// Validates `env` as a whole: each variable of the scope, then the cross-field rules and the
// production guards (contract 2.3), all problems reported together (decisions B.1); a rule whose
// input already failed its own check is skipped rather than reported twice. Never throws for bad
// input.
LoadResult load_config(const Environment& env, Scope scope = Scope::everything());

// Every variable name `serve` reads, sorted: generated by running the validation, so the list
// cannot drift from the code (the deployment kit's tests check the shipped files against it).
std::vector<std::string> known_variables();

// Reads the process environment, then `dotenv_path` (if it exists) for variables the environment
// does not set.
Environment read_environment(const std::string& dotenv_path = ".env");

}  // namespace portcullis::config
