// The database as the rest of the service sees it: one Pool per I/O thread (design section 2),
// created on that thread, found again through a thread-local pointer so a request only ever uses
// its own thread's connections.
#pragma once

#include <boost/asio/io_context.hpp>

#include <memory>
#include <mutex>
#include <vector>

#include "db/pool.hpp"

namespace portcullis::db {

class Database {
public:
    Database(ConnectionSettings settings, PoolOptions options);
    ~Database();
    Database(const Database&) = delete;
    Database& operator=(const Database&) = delete;

    // Called once on each I/O thread before it serves: creates that thread's pool.
    void attach_this_thread(boost::asio::io_context& io);

    // The calling I/O thread's pool. Throws std::logic_error on a thread never attached.
    Pool& local() const;

    const PoolOptions& options() const { return options_; }

    // Closes every pool. Call after the I/O threads have stopped and before their io_contexts go.
    void close();

private:
    ConnectionSettings settings_;
    PoolOptions options_;
    std::mutex mutex_;  // guards pools_ while threads attach; never on the request path
    std::vector<std::unique_ptr<Pool>> pools_;
};

}  // namespace portcullis::db
