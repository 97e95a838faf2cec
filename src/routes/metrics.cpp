// See metrics.hpp.
#include "routes/metrics.hpp"

#include <openssl/evp.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>

#include "config/parse.hpp"
#include "db/database.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "observability/process_metrics.hpp"
#include "routes/error_catalog.hpp"
#include "routes/operations.hpp"
#include "util/cidr.hpp"
#include "util/strings.hpp"

namespace portcullis::routes {
namespace {
using observability::GaugeMerge;

constexpr auto kSampleInterval = std::chrono::milliseconds(500);

std::string sha256(std::string_view text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed");
    }
    return {reinterpret_cast<const char*>(digest), size};
}

std::string_view reason_of(MetricsGuardVerdict verdict) {
    switch (verdict) {
        case MetricsGuardVerdict::missing:
            return "missing";
        case MetricsGuardVerdict::invalid:
            return "invalid";
        default:
            return "forbidden_ip";
    }
}

http::Response rejection(MetricsGuardVerdict verdict) {
    if (verdict == MetricsGuardVerdict::missing) {
        return errors::to_response(errors::kMetricsGuardMissing);
    }
    if (verdict == MetricsGuardVerdict::invalid) {
        return errors::to_response(errors::kMetricsGuardInvalid);
    }
    return errors::to_response(errors::kMetricsGuardForbidden);
}

// The guard decides what /metrics can answer and what a client must send.
openapi::Operation metrics_operation(const config::Config& config) {
    openapi::Operation operation{
        .operation_id = "getMetrics",
        .tag = "Metrics",
        .summary = "Prometheus metrics",
        .description =
            "The exposition of every metric family (contract 9), behind the "
            "configured METRICS_GUARD.",
        .successes = {{.status = 200,
                       .description = "Prometheus text format.",
                       .schema = "PrometheusMetrics",
                       .content_type = "text/plain"}},
        .probe = true};
    switch (config.metrics_guard) {
        case config::MetricsGuard::secret:
            operation.security = "MetricsSecret";
            operation.errors = {errors::kMetricsGuardMissing, errors::kMetricsGuardInvalid};
            break;
        case config::MetricsGuard::cidr:
            operation.description += " Only clients inside METRICS_GUARD_ALLOWLIST.";
            operation.errors = {errors::kMetricsGuardForbidden};
            break;
        case config::MetricsGuard::none:
            if (config.production()) operation.errors = {errors::kMetricsGuardForbidden};
            break;
    }
    return operation;
}

// The gauges one I/O thread's sampler writes: handles into that thread's own shards.
struct ThreadSampler {
    observability::Gauge nodejs_lag;
    observability::Gauge lag;
    observability::Gauge open;
    observability::Gauge idle;
    observability::Gauge max;
    observability::Gauge waiting;
    observability::Gauge queued;
};

boost::asio::awaitable<void> sample_loop(ThreadSampler sampler, const db::Database& database) {
    boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
    for (;;) {
        const auto due = std::chrono::steady_clock::now() + kSampleInterval;
        timer.expires_at(due);
        try {
            co_await timer.async_wait(boost::asio::use_awaitable);
        } catch (const boost::system::system_error&) {
            co_return;  // cancelled: the loop is shutting down
        }
        const std::chrono::duration<double> late = std::chrono::steady_clock::now() - due;
        sampler.nodejs_lag.set(late.count());
        sampler.lag.set(late.count());
        const auto& pool = database.local();
        sampler.open.set(pool.open_connections());
        sampler.idle.set(pool.idle_connections());
        sampler.max.set(pool.options().size);
        sampler.waiting.set(pool.waiting());
        sampler.queued.set(pool.queued());
    }
}

}  // namespace

MetricsGuard::MetricsGuard(const config::Config& config)
    : kind_(config.metrics_guard),
      production_(config.production()),
      secret_digest_(sha256(config.metrics_guard_secret.value_or(""))),
      allowlist_(config.metrics_guard_allowlist) {}

MetricsGuardVerdict MetricsGuard::check(std::string_view secret_header,
                                        std::string_view client_ip) const {
    switch (kind_) {
        case config::MetricsGuard::none:
            // Configuration refuses an unguarded production mount; answer as the reference would.
            return production_ ? MetricsGuardVerdict::forbidden_ip : MetricsGuardVerdict::allowed;
        case config::MetricsGuard::secret: {
            const auto presented = util::trim(secret_header);
            if (presented.empty()) return MetricsGuardVerdict::missing;
            return util::constant_time_equals(sha256(presented), secret_digest_)
                       ? MetricsGuardVerdict::allowed
                       : MetricsGuardVerdict::invalid;
        }
        case config::MetricsGuard::cidr: {
            const auto parsed = util::parse_ip(client_ip);
            if (!parsed) return MetricsGuardVerdict::forbidden_ip;
            const auto address = util::unmap_ipv4(*parsed);
            for (const auto& range : allowlist_) {
                if (range.network.v6 == address.v6 && util::contains(range, address)) {
                    return MetricsGuardVerdict::allowed;
                }
            }
            return MetricsGuardVerdict::forbidden_ip;
        }
    }
    return MetricsGuardVerdict::forbidden_ip;
}

std::vector<http::Route> metrics_routes(const config::Config& config,
                                        const observability::Registry& registry,
                                        observability::Logger& logger) {
    std::vector<http::Route> routes;
    if (config.production() && !config.metrics_enabled) return routes;

    auto guard = std::make_shared<const MetricsGuard>(config);
    routes.push_back(
        {"GET", "/metrics",
         [guard, &registry, &logger](http::Request& request) -> http::Awaitable<http::Response> {
             const auto verdict =
                 guard->check(request.headers.joined("x-metrics-secret"), request.client_ip);
             if (verdict != MetricsGuardVerdict::allowed) {
                 logger.log(observability::Level::warn, "Metrics request rejected",
                            observability::LogFields()
                                .str("component", "metrics_guard")
                                .str("reason", reason_of(verdict))
                                .str("clientIp", request.client_ip)
                                .str("reqId", request.id));
                 co_return rejection(verdict);
             }
             http::Response response;
             response.headers.set_static("Content-Type", observability::kExpositionContentType);
             response.body = registry.scrape();
             response.allow_etag = false;  // contract 3.1: the exposition carries no ETag
             co_return response;
         }});
    return with_operations(std::move(routes), {{"GET", "/metrics", metrics_operation(config)}});
}

ServiceMetrics::ServiceMetrics(observability::Registry& registry)
    : http_(registry),
      pool_connections_(registry.gauge("portcullis_db_pool_connections",
                                       "Postgres connections of the pools, by state (open counts "
                                       "idle, leased and dialling connections).",
                                       {"state"})),
      pool_max_connections_(registry.gauge("portcullis_db_pool_max_connections",
                                           "Largest number of Postgres connections the pools may "
                                           "open (DATABASE_POOL_SIZE per I/O thread).")),
      pool_waiting_(registry.gauge("portcullis_db_pool_waiting",
                                   "Requests waiting for a Postgres connection.")),
      pool_queued_(registry.gauge("portcullis_db_pool_queued",
                                  "Statements queued for the next pipelined batch.")),
      nodejs_lag_(registry.gauge("nodejs_eventloop_lag_seconds",
                                 "Lag of event loop in seconds (the slowest I/O thread's loop, "
                                 "sampled every 500 ms).",
                                 {}, GaugeMerge::max)),
      lag_(registry.gauge("portcullis_event_loop_lag_seconds",
                          "How late a 500 ms timer fired on the slowest I/O thread, in seconds.",
                          {}, GaugeMerge::max)),
      registry_(registry),
      logins(
          registry.counter("portcullis_logins_total", "Login attempts by outcome.", {"outcome"})),
      lockouts(registry.counter("portcullis_lockouts_total",
                                "Logins locked after too many failed attempts.")),
      refresh_reuse_detected(registry.counter(
          "portcullis_refresh_reuse_detected_total",
          "Refresh tokens presented again after rotation (the session is revoked).")),
      redis_transitions(registry.counter("portcullis_redis_transitions_total",
                                         "Changes of the Redis connection state (down: limiters "
                                         "use RATE_LIMIT_REDIS_FAILURE_MODE).",
                                         {"state"})),
      outbox_depth(
          registry.gauge("portcullis_outbox_depth", "Emails in the outbox waiting to be sent.")),
      outbox_send_failures(registry.counter("portcullis_outbox_send_failures_total",
                                            "Failed attempts to send an outbox email.")),
      outbox_sent_total(registry.counter("portcullis_outbox_sent_total",
                                         "Outbox emails handed to SMTP (or logged without SMTP).")),
      outbox_dead_total(registry.counter("portcullis_outbox_dead_total",
                                         "Outbox emails given up after the last attempt.")),
      session_cleanup_removed(
          registry.counter("portcullis_session_cleanup_removed_total",
                           "Sessions deleted by the cleanup job (invalid or idle past the refresh "
                           "lifetime).")),
      session_cleanup_last_success(registry.gauge(
          "portcullis_session_cleanup_last_success_timestamp_seconds",
          "Unix time at which this process last completed a cleanup round (0: never; a round "
          "another replica ran is not counted here).")),
      audit_events_written(registry.counter("portcullis_audit_events_written_total",
                                            "Security events stored in the AuditEvent table.")),
      audit_events_dropped(registry.counter(
          "portcullis_audit_events_dropped_total",
          "Security events lost: queue_full (requests outran the writer), rejected (the "
          "database refused the batch).",
          {"reason"})) {
    for (const auto* const reason : {"queue_full", "rejected"})
        audit_events_dropped.declare({reason});
    for (const auto* const state : {"open", "idle"}) pool_connections_.declare({state});
    for (const auto* const outcome : {"success", "invalid_credentials", "locked"}) {
        logins.declare({outcome});
    }
    for (const auto* const state : {"up", "down"}) redis_transitions.declare({state});
    observability::add_process_collector(registry);
}

void ServiceMetrics::start_sampler(boost::asio::io_context& io, const db::Database& database) {
    ThreadSampler sampler{nodejs_lag_.local(),
                          lag_.local(),
                          pool_connections_.local({"open"}),
                          pool_connections_.local({"idle"}),
                          pool_max_connections_.local(),
                          pool_waiting_.local(),
                          pool_queued_.local()};
    boost::asio::co_spawn(io, sample_loop(sampler, database), boost::asio::detached);
}

void ServiceMetrics::track_password_hash_queue(std::function<double()> depth) {
    registry_.gauge_callback("portcullis_password_hash_queue_depth",
                             "Password hashing jobs queued or running on the CPU pool.",
                             std::move(depth));
}

void ServiceMetrics::track_audit_queue(std::function<double()> depth) {
    registry_.gauge_callback("portcullis_audit_queue_depth",
                             "Security events waiting for the audit writer.", std::move(depth));
}

void ServiceMetrics::track_redis_up(std::function<double()> up) {
    registry_.gauge_callback("portcullis_redis_up",
                             "1 while every Redis connection of the process answers, else 0.",
                             std::move(up));
}

void ServiceMetrics::login(auth::LoginOutcome outcome) {
    switch (outcome) {
        case auth::LoginOutcome::success:
            logins.local({"success"}).inc();
            break;
        case auth::LoginOutcome::invalid_credentials:
            logins.local({"invalid_credentials"}).inc();
            break;
        case auth::LoginOutcome::locked:
            logins.local({"locked"}).inc();
            break;
    }
}

void ServiceMetrics::lockout() {
    lockouts.local().inc();
}

void ServiceMetrics::refresh_reuse() {
    refresh_reuse_detected.local().inc();
}

// The outbox sender runs on one I/O thread, so these cells have that thread as single writer.
void ServiceMetrics::email_sent() {
    outbox_sent_total.local().inc();
}

void ServiceMetrics::email_failed() {
    outbox_send_failures.local().inc();
}

void ServiceMetrics::email_dead() {
    outbox_dead_total.local().inc();
}

void ServiceMetrics::pending_emails(std::int64_t count) {
    outbox_depth.local().set(static_cast<double>(count));
}

}  // namespace portcullis::routes
