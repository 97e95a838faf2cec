// Redis as the service sees it: one client per I/O thread (design section 2), standalone or a
// Redis Cluster's, created on that thread and found again through a per-instance, per-thread
// lookup, plus the process-wide Health.
#pragma once

#include <boost/asio/io_context.hpp>

#include <memory>
#include <mutex>
#include <vector>

#include "redis/client.hpp"
#include "util/per_thread.hpp"

namespace portcullis::redis {

// A standalone Client, or a ClusterClient when `settings.cluster`.
std::shared_ptr<Commands> make_client(boost::asio::io_context& io, const Settings& settings,
                                      ClientOptions options, Health* health = nullptr);

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
    Commands& local() const;

    Health& health() { return health_; }
    const Health& health() const { return health_; }
    const Settings& settings() const { return settings_; }

    // Stops every client; local() throws from then on. Call after the I/O threads have stopped.
    void close();

private:
    Settings settings_;
    ClientOptions options_;
    Health health_;
    util::PerThread<Commands> local_;
    std::mutex mutex_;  // guards clients_ while threads attach; never on the request path
    std::vector<std::shared_ptr<Commands>> clients_;
};

}  // namespace portcullis::redis
