// See app.hpp. The Graph's members are declared in construction order: each is built from the
// ones above it, and they are destroyed in reverse, after stop() has ended every thread.
#include "app/app.hpp"

#include <boost/asio/io_context.hpp>

#include <pthread.h>

#include <algorithm>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "app/audit_writer.hpp"
#include "app/session_cleanup_job.hpp"
#include "auth/cpu_pool.hpp"
#include "auth/fallback_attempt_counter.hpp"
#include "auth/mfa.hpp"
#include "auth/password_blocklist.hpp"
#include "auth/service.hpp"
#include "auth/token_sealer.hpp"
#include "db/audit_store.hpp"
#include "db/auth_store.hpp"
#include "db/database.hpp"
#include "db/mfa_store.hpp"
#include "db/outbox_store.hpp"
#include "db/token_store.hpp"
#include "email/outbox_sender.hpp"
#include "http/middlewares.hpp"
#include "http/pipeline.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "ratelimit/limiter.hpp"
#include "redis/connections.hpp"
#include "redis/login_attempts.hpp"
#include "routes/account_routes.hpp"
#include "routes/auth_routes.hpp"
#include "routes/jwks_routes.hpp"
#include "routes/metrics.hpp"
#include "routes/openapi_routes.hpp"
#include "routes/ops.hpp"
#include "routes/rate_limits.hpp"
#include "util/cpu_budget.hpp"

namespace portcullis::app {
namespace {
using observability::Level;
using observability::LogFields;

// Password-hashing jobs that may wait per hashing thread before logins answer 503 OVERLOADED: at
// ~80 ms a hash, a full queue is about 1.3 s of work.
constexpr std::size_t kHashQueuePerThread = 16;

// How long a background job may take to finish its step in flight at shutdown.
constexpr auto kJobStopTimeout = std::chrono::seconds(3);

auth::LockoutPolicy lockout_policy(const config::Config& config) {
    return {config.auth_login_max_attempts, std::chrono::minutes(config.auth_login_lockout_minutes),
            std::chrono::minutes(config.auth_login_attempt_window_minutes)};
}

// AUTH_PASSWORD_BLOCKLIST (issue #16). A file that cannot be used stops the start (the
// configuration check reports it first).
auth::PasswordBlocklist password_blocklist(const config::Config& config) {
    switch (config.auth_password_blocklist) {
        case config::PasswordBlocklistMode::off:
            return auth::PasswordBlocklist::off();
        case config::PasswordBlocklistMode::file:
            return auth::PasswordBlocklist::with_file(config.auth_password_blocklist_file);
        case config::PasswordBlocklistMode::builtin:
            break;
    }
    return auth::PasswordBlocklist::builtin();
}

db::RetentionOptions retention_options(const config::Config& config) {
    db::RetentionOptions options;
    if (config.audit_retention_days > 0) {
        options.audit_retention = std::chrono::hours(24LL * config.audit_retention_days);
    }
    return options;
}

email::OutboxOptions outbox_options(const config::Config& config) {
    email::OutboxOptions options;
    options.retry = {config.email_outbox_retry_base, config.email_outbox_retry_max,
                     config.email_outbox_max_attempts};
    options.poll_interval = config.email_outbox_poll_interval;
    options.production = config.production();
    if (config.smtp_configured()) {
        options.smtp = email::SmtpSettings{.host = *config.smtp_host,
                                           .port = *config.smtp_port,
                                           .secure = config.smtp_secure,
                                           .user = config.smtp_user,
                                           .password = config.smtp_pass,
                                           .connect_timeout = config.smtp_connect_timeout,
                                           .timeout = config.smtp_timeout};
        options.from = email::parse_sender(*config.smtp_from);
    }
    return options;
}

}  // namespace

Threads plan_threads(const config::Config& config, observability::Logger& logger) {
    const util::CpuBudget budget = util::cpu_budget(config.cgroup_root);
    Threads threads;
    threads.io = config.io_threads > 0 ? config.io_threads : budget.cpus;
    threads.hashing = budget.cpus;
    LogFields fields;
    fields.num("ioThreads", static_cast<std::int64_t>(threads.io))
        .num("hashingThreads", static_cast<std::int64_t>(threads.hashing))
        .num("onlineCpus", static_cast<std::int64_t>(budget.online));
    if (budget.quota) fields.num("cpuQuota", *budget.quota);
    logger.log(Level::info, "Thread pools sized", fields);
    return threads;
}

struct App::Graph {
    Graph(const config::Config& config_, const db::ConnectionSettings& database_settings,
          const std::optional<redis::Settings>& redis_settings,
          std::vector<auth::Ed25519Key> signing_keys, observability::Logger& logger_)
        : config(config_),
          logger(logger_),
          threads(plan_threads(config, logger)),
          database(database_settings, {.size = config.database_pool_size,
                                       .statement_timeout = config.database_statement_timeout}),
          service_metrics(metrics),
          redis(connect_redis(redis_settings)),
          cpu_pool(static_cast<std::size_t>(threads.hashing),
                   kHashQueuePerThread * static_cast<std::size_t>(threads.hashing)),
          users(database),
          sessions(database),
          table_attempts(database, lockout_policy(config)),
          auth_service(
              {.access_ttl = config.jwt_access_expiry,
               .refresh_ttl = config.jwt_refresh_expiry,
               .verification_required = config.auth_email_verification_required,
               .lockout = lockout_policy(config),
               .argon2 = {config.auth_argon2_memory_kib, config.auth_argon2_iterations},
               .refresh_reuse_grace = config.auth_refresh_reuse_grace},
              users, sessions, attempt_counter(), cpu_pool,
              auth::JwtKeys(config.jwt_access_secret, config.jwt_access_secret_previous,
                            std::move(signing_keys)),
              auth::JwtKeys(config.jwt_refresh_secret, config.jwt_refresh_secret_previous)),
          outbox_sealer(config.jwt_refresh_secret),
          one_time_tokens(database, config.auth_email_verification_ttl_minutes, outbox_sealer),
          outbox(database, config.auth_email_verification_ttl_minutes,
                 config.auth_password_reset_ttl_minutes, outbox_sealer),
          outbox_sender(outbox_options(config), outbox, logger, &service_metrics),
          cleanup_job({.interval = std::chrono::minutes(config.session_cleanup_interval_minutes),
                       .cleanup = {.refresh_ttl = config.jwt_refresh_expiry},
                       .retention = retention_options(config)},
                      database, logger, service_metrics.session_cleanup_removed,
                      service_metrics.session_cleanup_last_success),
          blocklist(password_blocklist(config)),
          mfa_sealer(mfa_sealer_of(config)),
          mfa_store(database),
          credentials(database),
          mfa_table_attempts(database, lockout_policy(config), db::AttemptTable::mfa_attempt),
          mfa(auth::MfaSettings{.issuer = config.auth_mfa_issuer}, auth_service, mfa_store,
              mfa_attempt_counter(), mfa_sealer.get()),
          audit_reader(database),
          audit_writer({}, database, logger, service_metrics.audit_events_written,
                       service_metrics.audit_events_dropped),
          limiters(redis.get(), config.rate_limit_redis_failure_mode) {
        observability::export_log_metrics(metrics, logger);
        database.breaker().set_listener([this](bool open) {
            if (open) {
                logger.log(Level::error,
                           "Database unresponsive: requests fail fast until a probe answers");
            } else {
                logger.log(Level::info, "Database responsive again");
            }
        });
        auth_service.set_events(&service_metrics);
        auth_service.set_one_time_tokens(&one_time_tokens);
        auth_service.set_password_blocklist(&blocklist);
        auth_service.set_credentials(&credentials);
        auth_service.set_mfa(&mfa);
        if (config.audit_events_enabled) {
            auth_service.set_audit(&audit_writer);
            service_metrics.track_audit_queue(
                [this] { return static_cast<double>(audit_writer.depth()); });
        }
        service_metrics.track_password_hash_queue(
            [this] { return static_cast<double>(cpu_pool.queue_depth()); });
        export_hashing_drops();
        service_metrics.track_redis_up(
            [this] { return redis && redis->health().up() ? 1.0 : 0.0; });
        add_routes();
        pipeline = std::make_unique<http::Pipeline>(
            middleware_chain(), [this](http::Request& r) { return router.dispatch(r); }, logger);
        server = std::make_unique<http::Server>(server_options(), *pipeline, logger);
    }

    // Hashing jobs that never ran (issue #19): their client had gone, the queue was full, or
    // they gave their place to a client with fewer jobs (the queue's fair share).
    void export_hashing_drops() {
        static constexpr std::string_view kName = "portcullis_password_hash_jobs_dropped_total";
        metrics.add_collector({std::string(kName)}, [this](std::string& out) {
            const auto stats = cpu_pool.stats();
            observability::append_help_type(
                out, kName, "Password hashing jobs answered without running, by reason",
                observability::MetricType::counter);
            const std::pair<std::string_view, std::size_t> samples[] = {
                {"client_gone", stats.client_gone},
                {"fair_share", stats.fair_share},
                {"queue_full", stats.queue_full}};
            for (const auto& [reason, count] : samples) {
                const observability::Label label{"reason", reason};
                observability::append_sample(out, kName, {&label, 1}, static_cast<double>(count));
            }
        });
    }

    // Redis (contract 6.5, decisions A.2, A.4): one connection per I/O thread; an unreachable
    // Redis does not stop the start, it keeps /ready red and the limiters in their failure mode.
    std::unique_ptr<redis::Connections> connect_redis(const std::optional<redis::Settings>& url) {
        if (!url) return nullptr;
        auto connections = std::make_unique<redis::Connections>(
            *url, redis::ClientOptions{.call_timeout = config.rate_limit_redis_timeout},
            threads.io);
        connections->health().set_listener(
            [this, masked = url->masked,
             mode = std::string(config::to_string(config.rate_limit_redis_failure_mode))](
                bool up, const std::string& reason) {
                service_metrics.redis_transitions.local({up ? "up" : "down"}).inc();
                if (up) {
                    logger.log(Level::info, "Rate limit store connected",
                               LogFields().str("url", masked));
                    return;
                }
                // The reference's startup error text, with the password masked (decisions B.3).
                logger.log(Level::warn, "Rate limit store unavailable",
                           LogFields()
                               .str("url", masked)
                               .str("failureMode", mode)
                               .error("Error", "Unable to connect to rate limit store at " +
                                                   masked + ". Reason: " + reason));
            });
        return connections;
    }

    // With Redis, lockout counters live there (decisions A.2); the table answers while it is down.
    auth::AttemptCounter& attempt_counter() {
        if (!redis) return table_attempts;
        redis_attempts.emplace(*redis, lockout_policy(config));
        fallback_attempts.emplace(*redis_attempts, table_attempts);
        return *fallback_attempts;
    }

    // MFA failures (issue #16): the same rules and stores as login attempts, in a key space of
    // their own (the MfaAttempt table, `mfa_attempt:` keys), so neither counter locks the other.
    auth::AttemptCounter& mfa_attempt_counter() {
        if (!redis) return mfa_table_attempts;
        redis_mfa_attempts.emplace(*redis, lockout_policy(config), redis::kMfaAttemptPrefix);
        fallback_mfa_attempts.emplace(*redis_mfa_attempts, mfa_table_attempts);
        return *fallback_mfa_attempts;
    }

    static std::unique_ptr<const auth::TokenSealer> mfa_sealer_of(const config::Config& config) {
        if (!config.auth_mfa_encryption_key) return nullptr;
        return std::make_unique<const auth::TokenSealer>(*config.auth_mfa_encryption_key,
                                                         auth::TokenSealer::kTotpKeyInfo);
    }

    void add_routes() {
        std::vector<routes::ReadinessCheck> readiness;
        // A probe must answer quickly even when Postgres hangs.
        const auto ping_timeout =
            std::min(config.database_statement_timeout, std::chrono::milliseconds(1000));
        readiness.push_back({[this, ping_timeout]() -> http::Awaitable<bool> {
                                 co_return co_await database.local().ping(ping_timeout);
                             },
                             503, "Not Ready", "NOT_READY"});
        if (redis) {
            readiness.push_back(
                {[this]() -> http::Awaitable<bool> { co_return redis->health().up(); }, 503,
                 "Redis not ready", "REDIS_NOT_READY"});
        }
        router.add_all(routes::ops_routes(lifecycle, std::move(readiness)));
        router.add_all(routes::metrics_routes(config, metrics, logger));
        const routes::AuthRoutesOptions route_options{config.production()};
        router.add_all(routes::auth_routes(auth_service, route_options));
        router.add_all(routes::protected_routes(auth_service, route_options));
        router.add_all(routes::account_routes(auth_service, mfa,
                                              config.audit_events_enabled ? &audit_reader : nullptr,
                                              route_options));
        router.add_all(routes::jwks_routes(auth_service.signing_keys()));
        // The document describes the routes above, so it is built after them; /docs is not API.
        router.add_all(routes::openapi_routes(router, config));
        router.add_all(routes::docs_routes(config));
    }

    // The middleware order of design section 3, with the deliberate differences the README's
    // architecture section explains.
    std::vector<http::Middleware> middleware_chain() {
        std::vector<http::Middleware> chain;
        // The access log wraps the request-id stage so its line shows the echoed x-request-id.
        chain.push_back(http::access_log(logger, routes::log_user(auth_service)));
        // Right after the access log: every response is counted, early rejections too (B.4, B.11).
        if (config.metrics_recording) {
            chain.push_back(http::metrics(service_metrics.http_metrics(), router));
        }
        chain.push_back(http::request_id());
        chain.push_back(http::compression(
            {config.response_compression_enabled, config.response_compression_min_bytes}));
        chain.push_back(http::conditional_get());
        chain.push_back(http::security_headers());
        chain.push_back(http::cors({config.production(), config.cors_origins}, logger));
        // Body-parser failures answer before the limiters and are not counted by them (contract
        // 1; decisions B.4 gives them request id, security headers, CORS and metrics only).
        chain.push_back(http::json_body({config.request_body_limit}));
        if (config.rate_limit_enabled) {
            chain.push_back(routes::rate_limits(limiters, ratelimit::LimiterSet::from(config)));
        }
        return chain;
    }

    // Background rehashes (issue #16) run on the I/O threads and the CPU pool: they must end
    // before either stops.
    void wait_for_rehashes(std::chrono::milliseconds timeout) const {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (auth_service.background_jobs() > 0 && std::chrono::steady_clock::now() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }

    http::ServerOptions server_options() {
        http::ServerOptions options;
        options.port = config.port;
        options.threads = threads.io;
        // The parser admits what inflation may still reject: JSON bodies are re-checked after it.
        options.body_limit = config.request_body_limit;
        options.header_limit = config.http_max_header_bytes;
        options.max_header_fields = config.http_max_header_fields;
        options.max_connections = config.http_max_connections;
        options.max_connections_per_ip = config.http_max_connections_per_ip;
        options.max_requests_per_connection = config.http_max_requests_per_connection;
        options.metrics = &metrics;
        options.request_timeout = config.http_request_timeout;
        options.headers_timeout = config.http_headers_timeout;
        options.keepalive_timeout = config.http_keepalive_timeout;
        options.trust_proxy = config.trust_proxy;
        // Per-thread resources first, then the background jobs that use them (each runs on the
        // first thread that attaches).
        options.on_thread_start = [this](boost::asio::io_context& io) {
            // Named so that operators (and tests) can count the I/O threads in /proc.
            pthread_setname_np(pthread_self(), "portcullis-io");
            database.attach_this_thread(io);
            if (redis) redis->attach_this_thread(io);
            service_metrics.start_sampler(io, database);
            outbox_sender.attach(io);
            cleanup_job.attach(io);
            if (config.audit_events_enabled) audit_writer.attach(io);
        };
        return options;
    }

    const config::Config& config;
    observability::Logger& logger;
    const Threads threads;
    db::Database database;
    observability::Registry metrics;
    routes::ServiceMetrics service_metrics;
    routes::Lifecycle lifecycle;
    std::unique_ptr<redis::Connections> redis;
    http::Router router;
    // Argon2 runs on its own threads (design section 2); the bounded queue turns a flood of
    // logins into 503 OVERLOADED instead of unbounded latency (decisions C.3).
    auth::CpuPool cpu_pool;
    db::PgUserStore users;
    db::PgSessionStore sessions;
    db::PgAttemptCounter table_attempts;
    std::optional<redis::RedisAttemptCounter> redis_attempts;
    std::optional<auth::FallbackAttemptCounter> fallback_attempts;
    auth::AuthService auth_service;
    // Email (decisions B.10, C.1, C.2): one-time tokens are written with their outbox rows by the
    // request path; the sender runs on the first I/O thread and sends on its own blocking pool.
    // Outbox rows hold their token sealed under a key from a secret every replica has (#18).
    const auth::TokenSealer outbox_sealer;
    db::PgOneTimeTokenStore one_time_tokens;
    db::PgOutbox outbox;
    email::OutboxSender outbox_sender;
    SessionCleanupJob cleanup_job;
    // Account security (issue #16): the password blocklist, TOTP MFA (secrets sealed under
    // AUTH_MFA_ENCRYPTION_KEY; without it enrolment answers 503 MFA_NOT_CONFIGURED), password
    // change and rehash, and the audit trail written in batches off the request path.
    const auth::PasswordBlocklist blocklist;
    const std::unique_ptr<const auth::TokenSealer> mfa_sealer;
    db::PgMfaStore mfa_store;
    db::PgCredentialStore credentials;
    db::PgAttemptCounter mfa_table_attempts;
    std::optional<redis::RedisAttemptCounter> redis_mfa_attempts;
    std::optional<auth::FallbackAttemptCounter> fallback_mfa_attempts;
    auth::MfaService mfa;
    db::PgAuditReader audit_reader;
    AuditWriter audit_writer;
    ratelimit::Limiters limiters;
    std::unique_ptr<http::Pipeline> pipeline;
    std::unique_ptr<http::Server> server;
    bool started = false;
    bool stopped = false;
};

App::App(const config::Config& config, const db::ConnectionSettings& database,
         const std::optional<redis::Settings>& redis, std::vector<auth::Ed25519Key> signing_keys,
         observability::Logger& logger) {
    // libcurl must be initialised before any thread may use it.
    if (config.smtp_configured()) email::smtp_global_init();
    graph_ = std::make_unique<Graph>(config, database, redis, std::move(signing_keys), logger);
}

App::~App() {
    if (graph_->started && !graph_->stopped) {
        graph_->wait_for_rehashes(kJobStopTimeout);
        graph_->audit_writer.stop(kJobStopTimeout);
        graph_->outbox_sender.stop(kJobStopTimeout);
        graph_->cleanup_job.stop(kJobStopTimeout);
        graph_->server->stop();
        if (graph_->redis) graph_->redis->close();
        graph_->database.close();
    }
}

void App::start() {
    graph_->started = true;
    graph_->server->start();
}

std::uint16_t App::port() const {
    return graph_->server->port();
}

void App::begin_shutdown() {
    graph_->lifecycle.shutting_down = true;
    graph_->server->begin_draining();
}

bool App::drain(std::chrono::steady_clock::time_point deadline) {
    graph_->server->stop_accepting();
    return graph_->server->wait_until_idle(deadline);
}

void App::stop() {
    Graph& g = *graph_;
    // The jobs need their I/O thread and the database to finish: stop them first. Rehashes
    // started by the last logins finish before the audit writer stores their events.
    g.wait_for_rehashes(kJobStopTimeout);
    g.audit_writer.stop(kJobStopTimeout);
    g.outbox_sender.stop(kJobStopTimeout);
    g.cleanup_job.stop(kJobStopTimeout);
    g.server->stop();
    g.logger.log(Level::info, "HTTP server closed");
    if (g.redis) {
        g.redis->close();
        g.logger.log(Level::info, "Rate limit store disconnected");
    }
    g.database.close();
    g.logger.log(Level::info, "Database disconnected successfully");
    g.stopped = true;
}

}  // namespace portcullis::app
