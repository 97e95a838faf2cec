// A connection pool owned by one I/O thread (design section 2): no locks, connections dialled on
// demand up to `size`, broken ones dropped, and after a failed dial new dials wait out an
// exponential backoff while requests fail fast with DatabaseUnavailable.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "db/breaker.hpp"
#include "db/connection.hpp"

namespace portcullis::db {

struct PoolOptions {
    int size = 4;
    std::chrono::milliseconds statement_timeout{5000};  // deadline of one query (and of waiting)
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds backoff_initial{50};
    std::chrono::milliseconds backoff_max{500};
    HostLookup host_lookup{};  // how dials resolve host names; empty: the system resolver
    // Shared by the pools of one Database (each thread's pool sees Postgres freeze at once);
    // null: the pool makes its own.
    std::shared_ptr<Breaker> breaker{};
};

class Pool;

// A connection on loan; returned to the pool when destroyed (dropped when broken).
class Lease {
public:
    Lease(Pool& pool, std::shared_ptr<Connection> connection);
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    ~Lease();

    Connection& operator*() const { return *connection_; }
    Connection* operator->() const { return connection_.get(); }

private:
    Pool* pool_;
    std::shared_ptr<Connection> connection_;
};

class Pool {
public:
    Pool(boost::asio::io_context& io, ConnectionSettings settings, PoolOptions options);
    ~Pool();
    Pool(const Pool&) = delete;
    Pool& operator=(const Pool&) = delete;

    // A healthy connection, waiting for one up to `deadline`. Throws DatabaseUnavailable. Not
    // gated by the breaker (the session cleanup job holds its own lease).
    boost::asio::awaitable<Lease> acquire(Clock::time_point deadline);

    // One statement with the statement deadline. Concurrent calls are batched: a runner takes a
    // connection and pipelines everything queued, so N waiting requests cost one round trip.
    // While the breaker is open it throws DatabaseUnavailable at once (unless it is the probe).
    boost::asio::awaitable<Result> execute(const Statement& statement,
                                           std::span<const Param> params);

    // `SELECT 1` within `timeout`; false instead of throwing (readiness probe). Concurrent pings
    // share one query as long as it has not been sent yet: every caller's answer still comes from
    // a round trip that began after its call, but a flood of probes (the endpoint is
    // unauthenticated) costs Postgres one query per batch instead of one per request.
    boost::asio::awaitable<bool> ping(std::chrono::milliseconds timeout);

    const PoolOptions& options() const { return options_; }
    Breaker& breaker() const { return *options_.breaker; }
    int open_connections() const { return open_; }
    int idle_connections() const { return static_cast<int>(idle_.size()); }
    int waiting() const { return static_cast<int>(waiters_.size()); }
    int queued() const { return static_cast<int>(queue_.size()); }
    // Statements handed to Postgres in batches since the pool was made.
    std::uint64_t statements_sent() const { return statements_sent_; }

private:
    friend class Lease;
    void release(std::shared_ptr<Connection> connection);
    boost::asio::awaitable<std::shared_ptr<Connection>> dial(Clock::time_point deadline);
    void wake_one();

    struct Queued {
        BatchItem item;
        // One per waiting caller, expiring at that caller's own deadline; all are cancelled when
        // the item is done.
        std::vector<std::shared_ptr<boost::asio::steady_timer>> wakes;
        int waiting = 0;
        bool probe = false;      // the statement the open breaker let through
        bool sent = false;       // taken into a batch: too late to join
        bool withdrawn = false;  // every caller gave up before it was sent
        bool done = false;
        bool joinable() const { return !sent && !withdrawn && !done; }
    };
    boost::asio::awaitable<void> run_batches();
    // Throws DatabaseUnavailable when the breaker refuses the statement.
    std::shared_ptr<Queued> enqueue(const Statement& statement, std::span<const Param> params);
    std::shared_ptr<Queued> push(const Statement& statement, std::span<const Param> params,
                                 bool probe);
    void report(const std::vector<std::shared_ptr<Queued>>& batch, bool completed,
                bool unresponsive);
    void fail_queued(const std::exception_ptr& error);
    // Waits for `queued` until `deadline`; rethrows its error, throws DatabaseUnavailable at the
    // deadline. The item is withdrawn when its last waiter gives up before it was sent.
    boost::asio::awaitable<void> await_done(const std::shared_ptr<Queued>& queued,
                                            Clock::time_point deadline);
    void finish(Queued& queued);

    boost::asio::io_context& io_;
    ConnectionSettings settings_;
    PoolOptions options_;
    std::vector<std::shared_ptr<Connection>> idle_;
    int open_ = 0;  // idle + leased + being dialled
    std::deque<std::shared_ptr<boost::asio::steady_timer>> waiters_;
    bool in_backoff() const;
    static std::atomic<Clock::rep> g_last_successful_dial;
    Clock::time_point backoff_started_{};
    Clock::time_point backoff_until_{};
    std::chrono::milliseconds backoff_{0};
    std::string last_error_;
    std::deque<std::shared_ptr<Queued>> queue_;
    int runners_ = 0;
    std::uint64_t statements_sent_ = 0;
    std::shared_ptr<Queued> pending_ping_;  // the readiness query new pings may still join
    Clock::time_point last_completion_{};   // when a round trip of this pool last completed
};

}  // namespace portcullis::db
