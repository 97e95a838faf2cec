// See pool.hpp.
#include "db/pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace portcullis::db {
namespace asio = boost::asio;

Lease::Lease(Pool& pool, std::shared_ptr<Connection> connection)
    : pool_(&pool), connection_(std::move(connection)) {}

Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)) {}

Lease::~Lease() {
    if (connection_) pool_->release(std::move(connection_));
}

Pool::Pool(asio::io_context& io, ConnectionSettings settings, PoolOptions options)
    : io_(io), settings_(std::move(settings)), options_(options) {
    options_.size = std::max(1, options_.size);
    // The server enforces the statement deadline too, so a slow query stops using resources.
    const std::string timeout_option =
        "-c statement_timeout=" + std::to_string(options_.statement_timeout.count());
    auto options_param = std::find_if(settings_.params.begin(), settings_.params.end(),
                                      [](const auto& p) { return p.first == "options"; });
    if (options_param == settings_.params.end()) {
        settings_.params.emplace_back("options", timeout_option);
    } else {
        options_param->second += " " + timeout_option;
    }
}

Pool::~Pool() {
    for (auto& waiter : waiters_) waiter->cancel();
}

void Pool::release(std::shared_ptr<Connection> connection) {
    if (connection->healthy()) {
        idle_.push_back(std::move(connection));
    } else {
        --open_;
    }
    wake_one();
}

void Pool::wake_one() {
    if (waiters_.empty()) return;
    auto waiter = std::move(waiters_.front());
    waiters_.pop_front();
    waiter->cancel();
}

asio::awaitable<std::shared_ptr<Connection>> Pool::dial(Clock::time_point deadline) {
    ++open_;
    try {
        auto connection = co_await Connection::open(
            io_, settings_, std::min(deadline, Clock::now() + options_.connect_timeout));
        backoff_ = std::chrono::milliseconds(0);
        co_return connection;
    } catch (const DatabaseUnavailable& e) {
        --open_;
        backoff_ = backoff_.count() == 0 ? options_.backoff_initial
                                         : std::min(backoff_ * 2, options_.backoff_max);
        backoff_until_ = Clock::now() + backoff_;
        last_error_ = e.what();
        wake_one();  // a waiter may dial (or fail fast) instead
        throw;
    }
}

asio::awaitable<Lease> Pool::acquire(Clock::time_point deadline) {
    for (;;) {
        while (!idle_.empty()) {
            auto connection = std::move(idle_.back());
            idle_.pop_back();
            // A connection idle across a server restart is dead: find out before using it.
            if (connection->still_alive()) co_return Lease(*this, std::move(connection));
            --open_;
        }
        if (open_ < options_.size) {
            if (Clock::now() < backoff_until_) {
                throw DatabaseUnavailable("database unreachable (retrying): " + last_error_);
            }
            co_return Lease(*this, co_await dial(deadline));
        }
        if (Clock::now() >= deadline) throw DatabaseUnavailable("database pool exhausted");
        auto waiter = std::make_shared<asio::steady_timer>(io_, deadline);
        waiters_.push_back(waiter);
        co_await waiter->async_wait(asio::as_tuple(asio::use_awaitable));
        std::erase(waiters_, waiter);
    }
}

asio::awaitable<Result> Pool::execute(const Statement& statement, std::span<const Param> params) {
    const auto deadline = Clock::now() + options_.statement_timeout;
    Lease lease = co_await acquire(deadline);
    co_return co_await lease->execute(statement, params, deadline);
}

asio::awaitable<bool> Pool::ping(std::chrono::milliseconds timeout) {
    static constexpr Statement kPing{"portcullis_ping", "SELECT 1"};
    const auto deadline = Clock::now() + timeout;
    try {
        Lease lease = co_await acquire(deadline);
        co_await lease->execute(kPing, {}, deadline);
        co_return true;
    } catch (const std::exception&) {
        co_return false;
    }
}

}  // namespace portcullis::db
