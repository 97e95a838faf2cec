// A connection pool owned by one I/O thread (design section 2): no locks, connections dialled on
// demand up to `size`, broken ones dropped, and after a failed dial new dials wait out an
// exponential backoff while requests fail fast with DatabaseUnavailable.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>
#include <vector>

#include "db/connection.hpp"

namespace portcullis::db {

struct PoolOptions {
    int size = 4;
    std::chrono::milliseconds statement_timeout{5000};  // deadline of one query (and of waiting)
    std::chrono::milliseconds connect_timeout{3000};
    std::chrono::milliseconds backoff_initial{50};
    std::chrono::milliseconds backoff_max{500};
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

    // A healthy connection, waiting for one up to `deadline`. Throws DatabaseUnavailable.
    boost::asio::awaitable<Lease> acquire(Clock::time_point deadline);

    // One statement with the statement deadline. Concurrent calls are batched: a runner takes a
    // connection and pipelines everything queued, so N waiting requests cost one round trip.
    boost::asio::awaitable<Result> execute(const Statement& statement,
                                           std::span<const Param> params);

    // `SELECT 1` within `timeout`; false instead of throwing (readiness probe).
    boost::asio::awaitable<bool> ping(std::chrono::milliseconds timeout);

    const PoolOptions& options() const { return options_; }
    int open_connections() const { return open_; }
    int idle_connections() const { return static_cast<int>(idle_.size()); }
    int waiting() const { return static_cast<int>(waiters_.size()); }
    int queued() const { return static_cast<int>(queue_.size()); }

private:
    friend class Lease;
    void release(std::shared_ptr<Connection> connection);
    boost::asio::awaitable<std::shared_ptr<Connection>> dial(Clock::time_point deadline);
    void wake_one();

    struct Queued {
        BatchItem item;
        std::shared_ptr<boost::asio::steady_timer> wake;  // cancelled when the item is done
        bool done = false;
    };
    boost::asio::awaitable<void> run_batches();
    boost::asio::awaitable<Result> execute_until(const Statement& statement,
                                                 std::span<const Param> params,
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
};

}  // namespace portcullis::db
