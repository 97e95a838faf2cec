// An async Redis client on Asio (design sections 2 and 4): one pipelined connection owned by one
// I/O thread, a deadline on every call, AUTH and SELECT from the URL, reconnect with capped
// backoff, and an idle PING so an outage is noticed without traffic. Calls made while the
// connection is down fail at once (never queue), so callers can apply their failure mode.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "redis/resp.hpp"
#include "redis/script.hpp"
#include "redis/settings.hpp"
#include "util/unavailable.hpp"

namespace portcullis::redis {

using Clock = std::chrono::steady_clock;

// Redis could not answer in time (down, unreachable, timed out, or broken replies).
class Unavailable : public util::Unavailable {
public:
    explicit Unavailable(const std::string& detail)
        : util::Unavailable("REDIS_UNAVAILABLE", "Service temporarily unavailable", detail) {}
};

// Whether every client of the process is connected; reports each change of that once (decisions
// A.4: transitions logged once each way). Thread-safe; the listener runs on the thread whose
// client changed the state.
class Health {
public:
    using Listener = std::function<void(bool up, const std::string& reason)>;
    void set_listener(Listener listener) { listener_ = std::move(listener); }
    void expect_clients(int count) { expected_ = count; }

    void client_connected();
    // `was_connected`: the client had counted itself connected (else a failed dial).
    void client_lost(const std::string& reason, bool was_connected);
    bool up() const { return up_.load(std::memory_order_relaxed); }

private:
    enum class State { unknown, up, down };
    std::mutex mutex_;
    State state_ = State::unknown;
    int connected_ = 0;
    int expected_ = 1;
    std::atomic<bool> up_{false};
    Listener listener_;
};

struct ClientOptions {
    std::chrono::milliseconds connect_timeout{1000};
    std::chrono::milliseconds call_timeout{250};
    std::chrono::milliseconds max_backoff{500};
    std::chrono::milliseconds ping_interval{1000};
};

// What the stores need from Redis, standalone (Client) or a Redis Cluster (ClusterClient). Owned
// by one I/O thread; every call has the call deadline.
class Commands {
public:
    virtual ~Commands() = default;

    // Starts connecting (and reconnecting) on the io_context. Call on its thread or before it runs.
    virtual void start() = 0;
    // Closes the connections and stops reconnecting; pending calls fail with Unavailable.
    virtual void stop() = 0;
    virtual bool connected() const = 0;
    // Polls until connected or `timeout` passes; for command-line tools.
    virtual boost::asio::awaitable<bool> wait_connected(std::chrono::milliseconds timeout) = 0;

    // One command; throws Unavailable. Error replies are returned, not thrown. In a cluster the
    // command goes to the node serving its key (args[1]).
    virtual boost::asio::awaitable<Reply> call(const std::vector<std::string>& args) = 0;
    // EVALSHA, then EVAL when the server answers NOSCRIPT. In a cluster every key must hash to
    // one slot (hash tags), and the script runs on the node serving it.
    virtual boost::asio::awaitable<Reply> run_script(const Script& script,
                                                     const std::vector<std::string>& keys,
                                                     const std::vector<std::string>& args) = 0;
};

// The EVALSHA command of `script` (EVAL when `source`), as both clients send it.
std::vector<std::string> script_command(const Script& script, const std::vector<std::string>& keys,
                                        const std::vector<std::string>& args, bool source);

// A standalone Redis: one pipelined connection.
class Client final : public Commands, public std::enable_shared_from_this<Client> {
public:
    Client(boost::asio::io_context& io, Settings settings, ClientOptions options,
           Health* health = nullptr);
    ~Client() override;
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    void start() override;
    void stop() override;
    bool connected() const override { return ready_; }
    boost::asio::awaitable<bool> wait_connected(std::chrono::milliseconds timeout) override;
    boost::asio::awaitable<Reply> call(const std::vector<std::string>& args) override;
    boost::asio::awaitable<Reply> run_script(const Script& script,
                                             const std::vector<std::string>& keys,
                                             const std::vector<std::string>& args) override;
    // ASKING and `args` written together on this connection (a cluster's ASK redirection: the
    // flag applies to the very next command); the reply to `args`.
    boost::asio::awaitable<Reply> call_asking(const std::vector<std::string>& args);

private:
    struct Pending;
    struct Link;

    boost::asio::awaitable<void> supervise();
    boost::asio::awaitable<std::shared_ptr<Link>> dial();
    boost::asio::awaitable<Reply> exchange(const std::shared_ptr<Link>& link,
                                           const std::vector<std::string>& args,
                                           Clock::time_point deadline, bool asking = false);
    boost::asio::awaitable<void> write_loop(std::shared_ptr<Link> link);
    boost::asio::awaitable<void> read_loop(std::shared_ptr<Link> link);
    void close_link(const std::shared_ptr<Link>& link, const std::string& reason);

    boost::asio::io_context& io_;
    Settings settings_;
    ClientOptions options_;
    Health* health_;
    std::shared_ptr<Link> link_;  // the connection calls use; null while down
    bool ready_ = false;
    bool stopped_ = false;
    std::unique_ptr<boost::asio::steady_timer> backoff_timer_;
};

}  // namespace portcullis::redis
