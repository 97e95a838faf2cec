// Redis as the service sees it: one Client per I/O thread (design section 2), created on that
// thread and found again through a per-instance, per-thread lookup, plus the process-wide Health.
#pragma once

#include <boost/asio/io_context.hpp>

#include <memory>
#include <mutex>
#include <vector>

#include "redis/client.hpp"
#include "util/per_thread.hpp"

namespace portcullis::redis {

class Connections {
public:
    Connections(Settings settings, ClientOptions options, int io_threads);
    ~Connections();
    Connections(const Connections&) = delete;
    Connections& operator=(const Connections&) = delete;

    // Called once on each I/O thread before it serves: creates and starts that thread's client.
    void attach_this_thread(boost::asio::io_context& io);
    // The calling thread's client of this instance; throws std::logic_error on a thread this
    // instance never attached, and after close().
    Client& local() const;

    Health& health() { return health_; }
    const Health& health() const { return health_; }
    const Settings& settings() const { return settings_; }

    // Stops every client; local() throws from then on. Call after the I/O threads have stopped.
    void close();

private:
    Settings settings_;
    ClientOptions options_;
    Health health_;
    util::PerThread<Client> local_;
    std::mutex mutex_;  // guards clients_ while threads attach; never on the request path
    std::vector<std::shared_ptr<Client>> clients_;
};

}  // namespace portcullis::redis
