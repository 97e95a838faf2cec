// The composition root (design section 4): builds the Config, the logger, the pipeline and the
// server, and runs the lifecycle of contract section 11 with decisions B.16.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>
#include <thread>

#include "auth/cpu_pool.hpp"
#include "auth/fallback_attempt_counter.hpp"
#include "auth/service.hpp"
#include "cli/cli.hpp"
#include "config/config.hpp"
#include "db/auth_store.hpp"
#include "db/database.hpp"
#include "db/dsn.hpp"
#include "db/migrate.hpp"
#include "db/outbox_store.hpp"
#include "db/token_store.hpp"
#include "email/outbox_sender.hpp"
#include "http/middlewares.hpp"
#include "http/pipeline.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "observability/json_text.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "ratelimit/limiter.hpp"
#include "ratelimit/middleware.hpp"
#include "redis/connections.hpp"
#include "redis/login_attempts.hpp"
#include "routes/auth_routes.hpp"
#include "routes/metrics.hpp"
#include "routes/openapi_routes.hpp"
#include "routes/ops.hpp"
#include "util/build_info.hpp"
#include "util/ip_address.hpp"
#include "util/strings.hpp"

namespace {
using portcullis::observability::Level;
using portcullis::observability::LogFields;
using portcullis::observability::Logger;

std::string problems_json(const portcullis::config::Problems& problems) {
    using portcullis::observability::append_json_string;
    std::string out = "{";
    bool first = true;
    for (const auto& [key, messages] : problems) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, key);
        out += ":[";
        for (std::size_t i = 0; i < messages.size(); ++i) {
            if (i > 0) out += ',';
            append_json_string(out, messages[i]);
        }
        out += ']';
    }
    out += '}';
    return out;
}

// Password-hashing jobs that may wait per core before logins answer 503 OVERLOADED: at ~80 ms a
// hash, a full queue is about 1.3 s of work.
constexpr std::size_t kHashQueuePerCore = 16;

const char* signal_name(int signal) {
    return signal == SIGINT ? "SIGINT" : "SIGTERM";
}

// The logger of the running command, for the last-resort handler below.
Logger* g_fatal_logger = nullptr;

// An exception nothing caught (contract 11: `Uncaught exception`, exit 1): log it, then stop.
[[noreturn]] void on_terminate() {
    if (g_fatal_logger != nullptr) {
        std::string what = "unknown";
        if (auto current = std::current_exception()) {
            try {
                std::rethrow_exception(current);
            } catch (const std::exception& e) {
                what = e.what();
            } catch (...) {
            }
        }
        g_fatal_logger->log(Level::fatal, "Uncaught exception", LogFields().error("Error", what));
        g_fatal_logger->flush_thread_buffer();
    }
    std::_Exit(1);
}

// Loads and validates the configuration; on failure logs the one fatal line of decisions B.1.
std::optional<portcullis::config::Config> load_or_report(Logger& logger) {
    auto result = portcullis::config::load_config(portcullis::config::read_environment(".env"));
    if (!result.config) {
        logger.log(Level::fatal, "Invalid configuration",
                   LogFields().raw("errors", problems_json(result.problems)));
        return std::nullopt;
    }
    logger.set_level(static_cast<Level>(static_cast<int>(result.config->log_level)));
    for (const auto& warning : result.warnings) logger.log(Level::warn, warning);
    return std::move(result.config);
}

// DATABASE_URL as libpq settings; a DSN libpq cannot use is a configuration error (B.1).
std::optional<portcullis::db::ConnectionSettings> database_settings(
    const portcullis::config::Config& config, Logger& logger) {
    std::string error;
    auto settings = portcullis::db::parse_database_url(config.database_url, error);
    if (!settings) {
        logger.log(Level::fatal, "Invalid configuration",
                   LogFields().raw("errors", problems_json({{"DATABASE_URL", {error}}})));
    }
    return settings;
}

// RATE_LIMIT_REDIS_URL as connection settings when the service uses Redis (contract 6.5); a URL
// the client cannot use is a configuration error (B.1). nullopt without error: no Redis.
bool redis_settings(const portcullis::config::Config& config, Logger& logger,
                    std::optional<portcullis::redis::Settings>& settings) {
    if (!config.redis_in_use()) return true;
    std::string error;
    settings = portcullis::redis::parse_redis_url(*config.rate_limit_redis_url, error);
    if (!settings) {
        logger.log(Level::fatal, "Invalid configuration",
                   LogFields().raw("errors", problems_json({{"RATE_LIMIT_REDIS_URL", {error}}})));
        return false;
    }
    return true;
}

// The lockout rules of contract 5.7 as configured; the same for the server and the clear command.
portcullis::auth::LockoutPolicy lockout_policy(const portcullis::config::Config& config) {
    return {config.auth_login_max_attempts, std::chrono::minutes(config.auth_login_lockout_minutes),
            std::chrono::minutes(config.auth_login_attempt_window_minutes)};
}

// `migrate deploy`: logs what it applied; false (after a fatal line) when it failed.
bool run_migrations(const portcullis::db::ConnectionSettings& settings, Logger& logger) {
    const auto result = portcullis::db::migrate_deploy(settings);
    for (const auto& name : result.applied) {
        logger.log(Level::info, "Migration applied", LogFields().str("migration", name));
    }
    if (!result.ok) {
        logger.log(Level::fatal, "Migration failed", LogFields().error("Error", result.error));
        return false;
    }
    logger.log(Level::info,
               result.applied.empty() ? "No pending migrations to apply"
                                      : "All migrations have been applied",
               LogFields().num("applied", static_cast<std::int64_t>(result.applied.size())));
    return true;
}

int migrate_deploy() {
    Logger logger(Level::info);
    const auto config = load_or_report(logger);
    if (!config) return 1;
    const auto settings = database_settings(*config, logger);
    if (!settings) return 1;
    return run_migrations(*settings, logger) ? 0 : 1;
}

int migrate_status() {
    Logger logger(Level::info);
    const auto config = load_or_report(logger);
    if (!config) return 1;
    const auto settings = database_settings(*config, logger);
    if (!settings) return 1;
    const auto status = portcullis::db::migrate_status(*settings);
    if (!status.ok) {
        std::fprintf(stderr, "migrate status failed: %s\n", status.error.c_str());
        return 1;
    }
    using State = portcullis::db::MigrationStatus::State;
    bool clean = true;
    for (const auto& m : status.migrations) {
        const char* label = "applied";
        switch (m.state) {
            case State::applied:
                label = "applied";
                break;
            case State::pending:
                label = "pending";
                break;
            case State::failed:
                label = "failed";
                break;
            case State::checksum_mismatch:
                label = "checksum-mismatch";
                break;
            case State::unknown_in_database:
                label = "unknown";
                break;
        }
        clean = clean && m.state == State::applied;
        std::printf("%-18s %s%s%s\n", label, m.name.c_str(), m.detail.empty() ? "" : "  ",
                    m.detail.c_str());
    }
    std::printf("%s\n",
                clean ? "Database schema is up to date." : "Database schema is not up to date.");
    return clean ? 0 : 1;
}

int serve(const portcullis::cli::ServeArgs& args) {
    // Signals are taken synchronously by this thread; every thread started later inherits the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    Logger logger(Level::info);
    g_fatal_logger = &logger;
    std::set_terminate(on_terminate);
    const auto config = load_or_report(logger);
    if (!config) return 1;
    const auto db_settings = database_settings(*config, logger);
    if (!db_settings) return 1;
    std::optional<portcullis::redis::Settings> redis_url;
    if (!redis_settings(*config, logger, redis_url)) return 1;
    if (args.migrate && !run_migrations(*db_settings, logger)) return 1;
    const int io_threads =
        config->io_threads > 0
            ? config->io_threads
            : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

    namespace http = portcullis::http;
    portcullis::db::Database database(*db_settings,
                                      {.size = config->database_pool_size,
                                       .statement_timeout = config->database_statement_timeout});
    portcullis::observability::Registry metrics;
    portcullis::routes::ServiceMetrics service_metrics(metrics);
    portcullis::routes::Lifecycle lifecycle;
    http::Router router;
    std::vector<portcullis::routes::ReadinessCheck> readiness;
    // A probe must answer quickly even when Postgres hangs.
    const auto ping_timeout =
        std::min(config->database_statement_timeout, std::chrono::milliseconds(1000));
    readiness.push_back({[&database, ping_timeout]() -> http::Awaitable<bool> {
                             co_return co_await database.local().ping(ping_timeout);
                         },
                         503, "Not Ready", "NOT_READY"});
    // Redis (contract 6.5, decisions A.2, A.4): one connection per I/O thread; an unreachable
    // Redis does not stop the start, it keeps /ready red and the limiters in their failure mode.
    std::unique_ptr<portcullis::redis::Connections> redis;
    if (redis_url) {
        redis = std::make_unique<portcullis::redis::Connections>(
            *redis_url,
            portcullis::redis::ClientOptions{.call_timeout = config->rate_limit_redis_timeout},
            io_threads);
        redis->health().set_listener([&logger, &service_metrics, url = redis_url->masked,
                                      mode = std::string(portcullis::config::to_string(
                                          config->rate_limit_redis_failure_mode))](
                                         bool up, const std::string& reason) {
            service_metrics.redis_transitions.local({up ? "up" : "down"}).inc();
            if (up) {
                logger.log(Level::info, "Rate limit store connected", LogFields().str("url", url));
            } else {
                // The reference's startup error text, with the password masked (decisions B.3).
                logger.log(Level::warn, "Rate limit store unavailable",
                           LogFields()
                               .str("url", url)
                               .str("failureMode", mode)
                               .error("Error", "Unable to connect to rate limit store at " + url +
                                                   ". Reason: " + reason));
            }
        });
        readiness.push_back(
            {[&redis]() -> http::Awaitable<bool> { co_return redis->health().up(); }, 503,
             "Redis not ready", "REDIS_NOT_READY"});
    }
    service_metrics.track_redis_up([&redis] { return redis && redis->health().up() ? 1.0 : 0.0; });
    router.add_all(portcullis::routes::ops_routes(lifecycle, std::move(readiness)));
    router.add_all(portcullis::routes::metrics_routes(*config, metrics, logger));

    // Argon2 runs on its own threads (design section 2); the bounded queue turns a flood of
    // logins into 503 OVERLOADED instead of unbounded latency (decisions C.3).
    const std::size_t cores = std::max(1u, std::thread::hardware_concurrency());
    portcullis::auth::CpuPool cpu_pool(cores, kHashQueuePerCore * cores);
    const portcullis::auth::LockoutPolicy lockout = lockout_policy(*config);
    portcullis::db::PgUserStore users(database);
    portcullis::db::PgSessionStore sessions(database);
    portcullis::db::PgAttemptCounter table_attempts(database, lockout);
    // With Redis, lockout counters live there (decisions A.2); the table answers while it is down.
    std::optional<portcullis::redis::RedisAttemptCounter> redis_attempts;
    std::optional<portcullis::auth::FallbackAttemptCounter> fallback_attempts;
    portcullis::auth::AttemptCounter* attempts = &table_attempts;
    if (redis) {
        redis_attempts.emplace(*redis, lockout);
        fallback_attempts.emplace(*redis_attempts, table_attempts);
        attempts = &*fallback_attempts;
    }
    portcullis::auth::AuthService auth_service(
        {.access_ttl = config->jwt_access_expiry,
         .refresh_ttl = config->jwt_refresh_expiry,
         .verification_required = config->auth_email_verification_required,
         .lockout = lockout,
         .argon2 = {config->auth_argon2_memory_kib, config->auth_argon2_iterations}},
        users, sessions, *attempts, cpu_pool, config->jwt_access_secret,
        config->jwt_refresh_secret);
    auth_service.set_events(&service_metrics);
    service_metrics.track_password_hash_queue(
        [&cpu_pool] { return static_cast<double>(cpu_pool.queue_depth()); });
    const portcullis::routes::AuthRoutesOptions route_options{config->production()};
    router.add_all(portcullis::routes::auth_routes(auth_service, route_options));
    router.add_all(portcullis::routes::protected_routes(auth_service, route_options));
    router.add_all(portcullis::routes::openapi_routes(router, *config));  // after the API routes
    router.add_all(portcullis::routes::docs_routes(*config));

    std::vector<http::Middleware> chain;
    // The access log wraps the request-id stage so its line shows the echoed x-request-id.
    chain.push_back(http::access_log(logger, portcullis::routes::log_user(auth_service)));
    // Right after the access log: every response is counted, early rejections too (B.4, B.11).
    if (config->metrics_recording) {
        chain.push_back(http::metrics(service_metrics.http_metrics(), router));
    }
    chain.push_back(http::request_id());
    chain.push_back(http::compression(
        {config->response_compression_enabled, config->response_compression_min_bytes}));
    chain.push_back(http::conditional_get());
    chain.push_back(http::security_headers());
    chain.push_back(http::cors({config->production(), config->cors_origins}, logger));
    // Body-parser failures answer before the limiters and are not counted by them (contract 1;
    // decisions B.4 gives them request id, security headers, CORS and metrics only).
    chain.push_back(http::json_body({config->request_body_limit}));
    portcullis::ratelimit::Limiters limiters(redis.get(), config->rate_limit_redis_failure_mode);
    if (config->rate_limit_enabled) {
        chain.push_back(portcullis::ratelimit::rate_limits(
            limiters, portcullis::ratelimit::LimiterSet::from(*config)));
    }
    const http::Pipeline pipeline(
        std::move(chain), [&router](http::Request& r) { return router.dispatch(r); }, logger);

    http::ServerOptions options;
    options.port = config->port;
    options.threads = io_threads;
    // The parser admits what inflation may still reject: JSON bodies are re-checked after it.
    options.body_limit = config->request_body_limit;
    options.request_timeout = config->http_request_timeout;
    options.headers_timeout = config->http_headers_timeout;
    options.keepalive_timeout = config->http_keepalive_timeout;
    options.trust_proxy = config->trust_proxy;
    options.on_thread_start = [&database, &service_metrics, &redis](boost::asio::io_context& io) {
        database.attach_this_thread(io);
        if (redis) redis->attach_this_thread(io);
        service_metrics.start_sampler(io, database);
    };

    // Email (issue #5; decisions B.10, C.1, C.2): one-time tokens are written with their outbox
    // rows by the request path; the outbox sender runs on the first I/O thread and sends on its own
    // blocking pool. It is declared before the server, so it outlives the I/O threads, and is
    // stopped before they are (see the shutdown below).
    if (config->smtp_configured())
        portcullis::email::smtp_global_init();  // before any thread may use libcurl
    portcullis::db::PgOneTimeTokenStore one_time_tokens(
        database, config->auth_email_verification_ttl_minutes);
    auth_service.set_one_time_tokens(&one_time_tokens);
    portcullis::db::PgOutbox outbox(database, config->auth_email_verification_ttl_minutes,
                                    config->auth_password_reset_ttl_minutes);
    portcullis::email::OutboxOptions outbox_options;
    outbox_options.retry = {config->email_outbox_retry_base, config->email_outbox_retry_max,
                            config->email_outbox_max_attempts};
    outbox_options.poll_interval = config->email_outbox_poll_interval;
    outbox_options.production = config->production();
    if (config->smtp_configured()) {
        outbox_options.smtp =
            portcullis::email::SmtpSettings{.host = *config->smtp_host,
                                            .port = *config->smtp_port,
                                            .secure = config->smtp_secure,
                                            .user = config->smtp_user,
                                            .password = config->smtp_pass,
                                            .connect_timeout = config->smtp_connect_timeout,
                                            .timeout = config->smtp_timeout};
        outbox_options.from = portcullis::email::parse_sender(*config->smtp_from);
    }
    portcullis::email::OutboxSender outbox_sender(std::move(outbox_options), outbox, logger,
                                                  &service_metrics);
    options.on_thread_start = [start = std::move(options.on_thread_start),
                               &outbox_sender](boost::asio::io_context& io) {
        start(io);
        outbox_sender.attach(io);
    };

    http::Server server(options, pipeline, logger);
    try {
        server.start();
    } catch (const std::exception& e) {
        logger.log(Level::fatal, "Unhandled error during startup",
                   LogFields().error("Error", e.what()));
        return 1;
    }
    logger.log(Level::info, "API server listening",
               LogFields().num("port", static_cast<std::int64_t>(server.port())));

    int received = 0;
    sigwait(&signals, &received);
    lifecycle.shutting_down = true;
    const std::string source = signal_name(received);
    logger.log(Level::info, "Received signal, beginning graceful shutdown",
               LogFields().str("signal", source));

    std::thread([&logger, signals] {
        for (;;) {
            int again = 0;
            if (sigwait(&signals, &again) != 0) return;
            logger.log(Level::warn, "Shutdown already in progress",
                       LogFields().str("source", signal_name(again)));
        }
    }).detach();

    // Keep accepting while load balancers notice the 503 on /ready (decisions B.16).
    std::this_thread::sleep_for(config->shutdown_delay);
    server.stop_accepting();
    const auto deadline = std::chrono::steady_clock::now() + config->shutdown_timeout;
    if (!server.wait_until_idle(deadline)) {
        logger.log(
            Level::error, "Graceful shutdown timeout exceeded, forcing exit",
            LogFields()
                .num("timeoutMs", static_cast<std::int64_t>(config->shutdown_timeout.count()))
                .str("source", source));
        logger.flush_thread_buffer();
        std::_Exit(1);
    }
    // The outbox sender needs its I/O thread and the database to finish: stop it first.
    outbox_sender.stop(std::chrono::seconds(3));
    server.stop();
    logger.log(Level::info, "HTTP server closed");
    if (redis) {
        redis->close();
        logger.log(Level::info, "Rate limit store disconnected");
    }
    database.close();
    logger.log(Level::info, "Database disconnected successfully");
    logger.flush_thread_buffer();
    return 0;
}

// The forms an address may have been recorded under: a direct IPv4 client is seen as
// `::ffff:a.b.c.d` on the dual-stack listener, one behind a proxy as `a.b.c.d` (contract 2.4).
std::vector<std::string> recorded_forms(const std::string& ip) {
    std::vector<std::string> forms{ip};
    const auto parsed = portcullis::util::parse_ip(ip);
    if (!parsed) return forms;
    const auto unmapped = portcullis::util::unmap_ipv4(*parsed);
    if (unmapped.v6) return forms;
    const std::string plain = portcullis::util::to_string(unmapped);
    for (std::string form : {plain, "::ffff:" + plain}) {
        if (std::find(forms.begin(), forms.end(), form) == forms.end()) forms.push_back(form);
    }
    return forms;
}

// `login-attempts clear` (decisions A.2): deletes the lockout records of an email (optionally of
// one client address, in each form it may have been recorded under) from the table and, when the
// service uses Redis, from Redis.
boost::asio::awaitable<void> clear_attempts(portcullis::auth::AttemptCounter& table,
                                            portcullis::redis::Client* client,
                                            portcullis::auth::LockoutPolicy policy,
                                            const std::string& email,
                                            const std::optional<std::string>& ip,
                                            std::string& failure) {
    const std::vector<std::string> forms = ip ? recorded_forms(*ip) : std::vector<std::string>{};
    if (ip) {
        for (const auto& form : forms) co_await table.clear(email, form);
    } else {
        co_await table.clear_email(email);
    }
    if (client == nullptr) co_return;
    if (!co_await client->wait_connected(std::chrono::seconds(5))) {
        failure = "Redis did not answer within 5 s; the table rows were cleared";
        co_return;
    }
    portcullis::redis::RedisAttemptCounter keys(*client, policy);
    if (ip) {
        for (const auto& form : forms) co_await keys.clear(email, form);
    } else {
        co_await keys.clear_email(email);
    }
}

int clear_login_attempts(const portcullis::cli::ClearAttemptsArgs& args) {
    Logger logger(Level::info);
    const auto config = load_or_report(logger);
    if (!config) return 1;
    const auto db_settings = database_settings(*config, logger);
    if (!db_settings) return 1;
    std::optional<portcullis::redis::Settings> redis_url;
    if (!redis_settings(*config, logger, redis_url)) return 1;
    // Records are keyed by the normalized email, as login stores them (contract 5.7).
    const std::string email = portcullis::util::to_lower(portcullis::util::trim(args.email));
    const portcullis::auth::LockoutPolicy policy = lockout_policy(*config);

    boost::asio::io_context io;
    portcullis::db::Database database(
        *db_settings, {.size = 1, .statement_timeout = config->database_statement_timeout});
    database.attach_this_thread(io);
    portcullis::db::PgAttemptCounter table(database, policy);
    std::shared_ptr<portcullis::redis::Client> client;
    if (redis_url) {
        client = std::make_shared<portcullis::redis::Client>(
            io, *redis_url,
            portcullis::redis::ClientOptions{.call_timeout = config->rate_limit_redis_timeout});
        client->start();
    }
    std::string failure;
    boost::asio::co_spawn(io, clear_attempts(table, client.get(), policy, email, args.ip, failure),
                          [&](std::exception_ptr error) {
                              if (error) {
                                  try {
                                      std::rethrow_exception(error);
                                  } catch (const std::exception& e) {
                                      failure = e.what();
                                  }
                              }
                              if (client) client->stop();
                              io.stop();
                          });
    io.run();
    database.close();
    if (!failure.empty()) {
        std::fprintf(stderr, "login-attempts clear failed: %s\n", failure.c_str());
        return 1;
    }
    std::printf("Cleared login attempts for %s%s%s\n", email.c_str(), args.ip ? " from " : "",
                args.ip ? args.ip->c_str() : "");
    return 0;
}

int version() {
    std::printf("%s (%s, built %s)\n", portcullis::build_info::kVersion,
                portcullis::build_info::kGitSha, portcullis::build_info::kBuildTime);
    return 0;
}
}  // namespace

int main(int argc, char** argv) {
    return portcullis::cli::run(argc, argv,
                                {.serve = serve,
                                 .version = version,
                                 .migrate_deploy = migrate_deploy,
                                 .migrate_status = migrate_status,
                                 .clear_login_attempts = clear_login_attempts});
}
