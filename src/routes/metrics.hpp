// GET /metrics with its guards (contract 9.3, decisions A.3 and B.2) and the service's own metric
// families (decisions C.4, contract 9.1's event-loop lag), sampled on each I/O thread.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/ports.hpp"
#include "auth/token_ports.hpp"
#include "config/config.hpp"
#include "http/middlewares.hpp"
#include "http/router.hpp"

namespace boost::asio {
class io_context;
}

namespace portcullis::db {
class Database;
}

namespace portcullis::observability {
class Logger;
class Registry;
class CounterFamily;
class GaugeFamily;
}  // namespace portcullis::observability

namespace portcullis::routes {

enum class MetricsGuardVerdict { allowed, missing, invalid, forbidden_ip };

// The guard of contract 9.3 as a pure decision. `secret_header` is the x-metrics-secret value
// (repeated headers joined by ", " as Node does); the secret is compared in constant time, on
// SHA-256 digests so that not even its length leaks. `client_ip` is the TRUST_PROXY-derived IP;
// IPv4-mapped IPv6 addresses and ranges compare as IPv4, and a range only holds addresses of its
// own family.
class MetricsGuard {
public:
    explicit MetricsGuard(const config::Config& config);
    MetricsGuardVerdict check(std::string_view secret_header, std::string_view client_ip) const;

private:
    config::MetricsGuard kind_;
    bool production_;
    std::string secret_digest_;
    std::vector<util::Cidr> allowlist_;
};

// The /metrics route when it is mounted (non-production: always; production: only with
// METRICS_ENABLED=true), else no route, so /metrics is the JSON 404. Each rejection answers the
// contract's 401/403 envelope and logs one `warn` line with "component":"metrics_guard", the
// reason and the client IP. `registry` and `logger` must outlive the router.
std::vector<http::Route> metrics_routes(const config::Config& config,
                                        const observability::Registry& registry,
                                        observability::Logger& logger);

// Every family the service exports, registered once in main.cpp: the HTTP families, the process
// families, the event-loop lag gauges, the Postgres pool gauges and the portcullis_* families of
// decisions C.4 whose sources arrive with later features (they read zero until then).
class ServiceMetrics final : public auth::AuthEvents, public auth::OutboxEvents {
    // Declaration order is registration order, which is the order of the exposition; the process
    // families come last.
    http::HttpMetrics http_;
    observability::GaugeFamily& pool_connections_;
    observability::GaugeFamily& pool_max_connections_;
    observability::GaugeFamily& pool_waiting_;
    observability::GaugeFamily& pool_queued_;
    observability::GaugeFamily& nodejs_lag_;
    observability::GaugeFamily& lag_;
    observability::Registry& registry_;

public:
    explicit ServiceMetrics(observability::Registry& registry);
    ServiceMetrics(const ServiceMetrics&) = delete;
    ServiceMetrics& operator=(const ServiceMetrics&) = delete;

    const http::HttpMetrics& http_metrics() const { return http_; }

    // Runs on an I/O thread after its pool is attached (ServerOptions::on_thread_start): starts a
    // timer loop on `io` that every 500 ms records how late the timer fired (event-loop lag) and
    // this thread's pool counters. Pools are not thread-safe, so only their own thread reads them.
    // This object and `database` must outlive `io`'s run.
    void start_sampler(boost::asio::io_context& io, const db::Database& database);

    // portcullis_password_hash_queue_depth, read from `depth` at scrape time (thread-safe).
    void track_password_hash_queue(std::function<double()> depth);

    // portcullis_redis_up, read from `up` at scrape time (thread-safe).
    void track_redis_up(std::function<double()> up);

    // auth::AuthEvents
    void login(auth::LoginOutcome outcome) override;
    void lockout() override;
    void refresh_reuse() override;

    // auth::OutboxEvents (the email outbox sender, decisions C.2)
    void email_sent() override;
    void email_failed() override;
    void email_dead() override;
    void pending_emails(std::int64_t count) override;

    // Sources still to come (login flow, lockout, refresh rotation, hashing pool, Redis, outbox).
    observability::CounterFamily& logins;  // {outcome}: success, invalid_credentials, locked
    observability::CounterFamily& lockouts;
    observability::CounterFamily& refresh_reuse_detected;
    observability::CounterFamily& redis_transitions;  // {state}: up, down
    observability::GaugeFamily& outbox_depth;
    observability::CounterFamily& outbox_send_failures;
    observability::CounterFamily& outbox_sent_total;
    observability::CounterFamily& outbox_dead_total;
    // The session cleanup job (contract 12), written by the one thread that runs it.
    observability::CounterFamily& session_cleanup_removed;
    observability::GaugeFamily& session_cleanup_last_success;
    // The audit writer (issue #16): events stored, and events lost ({reason}: queue_full when
    // requests outran the writer, rejected when the database refused a batch).
    observability::CounterFamily& audit_events_written;
    observability::CounterFamily& audit_events_dropped;

    // portcullis_audit_queue_depth, read from `depth` at scrape time (thread-safe).
    void track_audit_queue(std::function<double()> depth);
};

}  // namespace portcullis::routes
