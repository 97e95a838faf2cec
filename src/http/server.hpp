// The HTTP/1.1 server (design section 2): one I/O thread per core, each with its own io_context
// and SO_REUSEPORT listener on the same dual-stack port; a connection lives on one thread.
// The only file that knows Boost.Beast's streams (wire.hpp has the parser and the serializer).
// Abuse limits (issue #19): connection caps per process and per client address, header size
// and field count, requests per connection, deadlines counted from accept, idle keep-alive
// connections closed oldest first under pressure, and an accept that survives running out of
// file descriptors.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "util/trust_proxy.hpp"

namespace boost::asio {
class io_context;
}

namespace portcullis::observability {
class Logger;
class Registry;
}  // namespace portcullis::observability

namespace portcullis::http {

class Pipeline;

struct ServerOptions {
    std::uint16_t port = 3000;
    int threads = 0;  // 0: one per core
    std::size_t body_limit = 100 * 1024;
    std::size_t header_limit = 16 * 1024;  // request line + fields; Node's --max-http-header-size
    std::size_t max_header_fields = 100;
    // Open connections per process, also bounded by the descriptor limit; 0: only by that.
    std::size_t max_connections = 10000;
    // Open connections per socket peer that TRUST_PROXY does not trust; 0: no cap.
    std::size_t max_connections_per_ip = 1000;
    // Requests served on one connection before it closes (the last answer says so); 0: no cap.
    std::size_t max_requests_per_connection = 1000;
    std::chrono::milliseconds request_timeout{30000};
    std::chrono::milliseconds headers_timeout{60000};
    std::chrono::milliseconds keepalive_timeout{5000};
    util::TrustProxy trust_proxy = util::TrustProxy::loopback();
    // Where the server registers its metric families (connections open, rejected, evicted,
    // accept errors, requests refused before the pipeline); none when null.
    observability::Registry* metrics = nullptr;
    // Runs on each I/O thread before it serves (per-thread pools attach here).
    std::function<void(boost::asio::io_context&)> on_thread_start;
};

class Server {
public:
    Server(ServerOptions options, const Pipeline& pipeline, observability::Logger& logger);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds every listener and starts the I/O threads. Throws std::system_error when the port
    // cannot be bound, also when another process listens on it (EADDRINUSE; see listener.hpp).
    void start();
    std::uint16_t port() const;

    // Closes the listeners and idle keep-alive connections; busy connections close after their
    // current response. Safe from any thread.
    void stop_accepting();
    // Waits until no connection is open or `deadline` passes; true when all closed.
    bool wait_until_idle(std::chrono::steady_clock::time_point deadline);
    // Stops the I/O threads and joins them; their io_contexts live until the Server is destroyed,
    // so objects bound to them (pools) can be destroyed first.
    void stop();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace portcullis::http
