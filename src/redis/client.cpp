// See client.hpp. Everything but Health runs on the owning I/O thread, so the connection state
// needs no locks.
#include "redis/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <deque>

namespace portcullis::redis {
namespace asio = boost::asio;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

void Health::client_connected() {
    Listener notify;
    {
        std::lock_guard lock(mutex_);
        ++connected_;
        if (connected_ < expected_ || state_ == State::up) return;
        state_ = State::up;
        up_.store(true, std::memory_order_relaxed);
        notify = listener_;
    }
    if (notify) notify(true, {});
}

void Health::client_lost(const std::string& reason, bool was_connected) {
    Listener notify;
    {
        std::lock_guard lock(mutex_);
        if (was_connected && connected_ > 0) --connected_;
        if (state_ == State::down) return;
        state_ = State::down;
        up_.store(false, std::memory_order_relaxed);
        notify = listener_;
    }
    if (notify) notify(false, reason);
}

struct Client::Pending {
    explicit Pending(asio::io_context& io) : wake(io) {}
    asio::steady_timer wake;  // expires at the deadline; cancelled when the reply is in
    Reply reply;
    std::exception_ptr error;
    bool done = false;
};

struct Client::Link {
    explicit Link(asio::io_context& io) : socket(io), closed_signal(io) {}
    tcp::socket socket;
    ReplyReader reader;
    std::deque<std::shared_ptr<Pending>> pending;  // in the order the commands were written
    std::string outgoing;
    bool writing = false;
    bool closed = false;
    asio::steady_timer closed_signal;  // cancelled when the link closes
};

Client::Client(asio::io_context& io, Settings settings, ClientOptions options, Health* health)
    : io_(io),
      settings_(std::move(settings)),
      options_(options),
      health_(health),
      backoff_timer_(std::make_unique<asio::steady_timer>(io)) {}

Client::~Client() = default;

void Client::start() {
    asio::co_spawn(io_, supervise(), asio::detached);
}

void Client::stop() {
    stopped_ = true;
    if (link_) close_link(link_, "Redis client stopped");
    backoff_timer_->cancel();
}

asio::awaitable<bool> Client::wait_connected(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    asio::steady_timer timer(io_);
    while (!ready_ && Clock::now() < deadline) {
        timer.expires_after(std::chrono::milliseconds(20));
        co_await timer.async_wait(kTuple);
    }
    co_return ready_;
}

asio::awaitable<Reply> Client::call(const std::vector<std::string>& args) {
    if (!ready_ || !link_) throw Unavailable("Redis is not connected");
    const auto link = link_;
    const auto deadline = Clock::now() + options_.call_timeout;
    co_return co_await exchange(link, args, deadline);
}

std::vector<std::string> script_command(const Script& script, const std::vector<std::string>& keys,
                                        const std::vector<std::string>& args, bool source) {
    std::vector<std::string> command;
    command.reserve(3 + keys.size() + args.size());
    command.emplace_back(source ? "EVAL" : "EVALSHA");
    command.push_back(source ? script.source : script.sha1);
    command.push_back(std::to_string(keys.size()));
    command.insert(command.end(), keys.begin(), keys.end());
    command.insert(command.end(), args.begin(), args.end());
    return command;
}

asio::awaitable<Reply> Client::run_script(const Script& script,
                                          const std::vector<std::string>& keys,
                                          const std::vector<std::string>& args) {
    Reply reply = co_await call(script_command(script, keys, args, false));
    if (reply.is_error() && reply.text.starts_with("NOSCRIPT")) {
        reply = co_await call(script_command(script, keys, args, true));
    }
    co_return reply;
}

asio::awaitable<Reply> Client::call_asking(const std::vector<std::string>& args) {
    if (!ready_ || !link_) throw Unavailable("Redis is not connected");
    const auto link = link_;
    const auto deadline = Clock::now() + options_.call_timeout;
    co_return co_await exchange(link, args, deadline, true);
}

asio::awaitable<Reply> Client::exchange(const std::shared_ptr<Link>& link,
                                        const std::vector<std::string>& args,
                                        Clock::time_point deadline, bool asking) {
    if (link->closed) throw Unavailable("Redis connection closed");
    if (asking) {
        // Its +OK is read and dropped like any reply; only the command's reply is returned.
        static const std::vector<std::string> kAsking{"ASKING"};
        encode_command(link->outgoing, kAsking);
        link->pending.push_back(std::make_shared<Pending>(io_));
    }
    auto pending = std::make_shared<Pending>(io_);
    pending->wake.expires_at(deadline);
    encode_command(link->outgoing, args);
    link->pending.push_back(pending);
    if (!link->writing) {
        link->writing = true;
        asio::co_spawn(io_, write_loop(link), asio::detached);
    }
    if (!pending->done) co_await pending->wake.async_wait(kTuple);
    if (!pending->done) close_link(link, "Redis call timed out");
    if (pending->error) std::rethrow_exception(pending->error);
    co_return std::move(pending->reply);
}

asio::awaitable<void> Client::write_loop(std::shared_ptr<Link> link) {
    // The client may be released (stop, failover) while a write is under way: it lives until the
    // loop has seen its link close.
    const auto self = shared_from_this();
    std::string chunk;
    while (!link->outgoing.empty() && !link->closed) {
        chunk.clear();
        chunk.swap(link->outgoing);
        auto [ec, written] = co_await asio::async_write(link->socket, asio::buffer(chunk), kTuple);
        if (ec) {
            close_link(link, "Redis write failed: " + ec.message());
            break;
        }
    }
    link->writing = false;
}

asio::awaitable<void> Client::read_loop(std::shared_ptr<Link> link) {
    // As in write_loop: the read that fails once the link closes still calls close_link().
    const auto self = shared_from_this();
    std::array<char, 16384> buffer{};
    while (!link->closed) {
        auto [ec, n] = co_await link->socket.async_read_some(asio::buffer(buffer), kTuple);
        if (ec) {
            close_link(link, ec == asio::error::eof ? std::string("Redis closed the connection")
                                                    : "Redis read failed: " + ec.message());
            co_return;
        }
        try {
            link->reader.feed(std::string_view(buffer.data(), n));
            while (auto reply = link->reader.next()) {
                if (link->pending.empty()) throw ProtocolError("Redis sent an unexpected reply");
                auto pending = std::move(link->pending.front());
                link->pending.pop_front();
                pending->reply = std::move(*reply);
                pending->done = true;
                pending->wake.cancel();
            }
        } catch (const ProtocolError& e) {
            close_link(link, e.what());
            co_return;
        }
    }
}

void Client::close_link(const std::shared_ptr<Link>& link, const std::string& reason) {
    if (link->closed) return;
    link->closed = true;
    boost::system::error_code ignored;
    link->socket.close(ignored);
    for (auto& pending : link->pending) {
        pending->error = std::make_exception_ptr(Unavailable(reason));
        pending->done = true;
        pending->wake.cancel();
    }
    link->pending.clear();
    link->closed_signal.cancel();
    if (link_ == link) {
        link_.reset();
        if (ready_) {
            ready_ = false;
            // A deliberate stop is not an outage worth reporting.
            if (health_ != nullptr && !stopped_) health_->client_lost(reason, true);
        }
    }
}

asio::awaitable<std::shared_ptr<Client::Link>> Client::dial() {
    const auto deadline = Clock::now() + options_.connect_timeout;
    auto link = std::make_shared<Link>(io_);
    auto resolver = std::make_shared<tcp::resolver>(io_);
    // The timer cancels whichever step is running when the deadline passes; it owns what it
    // touches, so it may fire after this frame has moved on.
    asio::steady_timer timer(io_);
    timer.expires_at(deadline);
    timer.async_wait([link, resolver](boost::system::error_code ec) {
        if (ec) return;
        resolver->cancel();
        boost::system::error_code ignored;
        link->socket.close(ignored);
    });
    const std::string service = std::to_string(settings_.port);
    auto [resolve_error, endpoints] =
        co_await resolver->async_resolve(settings_.host, service, kTuple);
    if (resolve_error) {
        throw Unavailable(Clock::now() >= deadline
                              ? std::string("timed out resolving the Redis host")
                              : "cannot resolve the Redis host: " + resolve_error.message());
    }
    auto [connect_error, endpoint] = co_await asio::async_connect(link->socket, endpoints, kTuple);
    timer.cancel();
    if (connect_error) {
        throw Unavailable(Clock::now() >= deadline
                              ? std::string("timed out connecting to Redis")
                              : "cannot connect to Redis: " + connect_error.message());
    }
    link->socket.set_option(tcp::no_delay(true));
    asio::co_spawn(io_, read_loop(link), asio::detached);

    if (!settings_.password.empty()) {
        std::vector<std::string> auth{"AUTH"};
        if (!settings_.username.empty()) auth.push_back(settings_.username);
        auth.push_back(settings_.password);
        const Reply reply = co_await exchange(link, auth, deadline);
        if (reply.is_error()) {
            close_link(link, "Redis refused AUTH");
            throw Unavailable("Redis refused AUTH: " + reply.text);
        }
    }
    if (settings_.database != 0) {
        const std::vector<std::string> select{"SELECT", std::to_string(settings_.database)};
        const Reply reply = co_await exchange(link, select, deadline);
        if (reply.is_error()) {
            close_link(link, "Redis refused SELECT");
            throw Unavailable("Redis refused SELECT: " + reply.text);
        }
    }
    co_return link;
}

asio::awaitable<void> Client::supervise() {
    // Keeps this client alive while the loop runs.
    auto self = shared_from_this();
    constexpr std::chrono::milliseconds kFirstBackoff{50};
    auto backoff = kFirstBackoff;
    while (!stopped_) {
        std::string failure;
        try {
            auto link = co_await dial();
            if (stopped_) {
                close_link(link, "Redis client stopped");
                break;
            }
            link_ = link;
            ready_ = true;
            backoff = kFirstBackoff;
            if (health_ != nullptr) health_->client_connected();
            while (!link->closed && !stopped_) {
                link->closed_signal.expires_after(options_.ping_interval);
                co_await link->closed_signal.async_wait(kTuple);
                if (link->closed || stopped_) break;
                // An idle PING notices a dead or frozen server without waiting for traffic.
                const std::vector<std::string> ping{"PING"};
                const auto deadline = Clock::now() + options_.call_timeout;
                try {
                    co_await exchange(link, ping, deadline);
                } catch (const Unavailable&) {
                }
            }
        } catch (const Unavailable& e) {
            failure = e.what();
        } catch (const std::exception& e) {
            failure = e.what();
        }
        if (!failure.empty() && health_ != nullptr) health_->client_lost(failure, false);
        if (stopped_) break;
        backoff_timer_->expires_after(backoff);
        co_await backoff_timer_->async_wait(kTuple);
        backoff = std::min(backoff * 2, options_.max_backoff);
    }
}

}  // namespace portcullis::redis
