// The database as the rest of the service sees it: one Pool per I/O thread (design section 2),
// created on that thread and found again through a per-instance, per-thread lookup, so a request
// only ever uses its own thread's connections of its own Database.
#pragma once

#include <boost/asio/io_context.hpp>

#include <memory>
#include <mutex>
#include <vector>

#include "db/pool.hpp"
#include "util/per_thread.hpp"

namespace portcullis::db {

class Database {
public:
    Database(ConnectionSettings settings, PoolOptions options);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Called once on each I/O thread before it serves: creates that thread's pool.
    void attach_this_thread(boost::asio::io_context& io);

    // The calling I/O thread's pool of this Database. Throws std::logic_error on a thread this
    // instance never attached, and after close().
    Pool& local() const;

    const PoolOptions& options() const { return options_; }
    // Shared by every thread's pool (decisions E.6).
    Breaker& breaker() const { return *options_.breaker; }

    // Closes every pool; local() throws from then on. Call after the I/O threads have stopped and
    // before their io_contexts go.
    void close();

private:
    ConnectionSettings settings_;
    PoolOptions options_;
    util::PerThread<Pool> local_;
    std::mutex mutex_;  // guards pools_ while threads attach; never on the request path
    std::vector<std::unique_ptr<Pool>> pools_;
};

}  // namespace portcullis::db
