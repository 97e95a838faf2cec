// See pool.hpp.
#include "db/pool.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
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
    if (!options_.breaker) options_.breaker = std::make_shared<Breaker>();
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

// Set by any pool of the process that connects: the other threads' pools then stop backing off,
// so all I/O threads see Postgres return at the same moment (no /ready flapping between them).
std::atomic<Clock::rep> Pool::g_last_successful_dial{0};

bool Pool::in_backoff() const {
    const auto now = Clock::now();
    if (now >= backoff_until_) return false;
    const Clock::time_point other_success{
        Clock::duration(g_last_successful_dial.load(std::memory_order_relaxed))};
    // Another pool connected after our failure, or only just before it (our dial may have begun
    // while Postgres was still starting): Postgres is back, try again now.
    return other_success < backoff_started_ && now - other_success > options_.backoff_max;
}

asio::awaitable<std::shared_ptr<Connection>> Pool::dial(Clock::time_point deadline) {
    ++open_;
    try {
        auto connection = co_await Connection::open(
            io_, settings_, std::min(deadline, Clock::now() + options_.connect_timeout),
            options_.host_lookup);
        backoff_ = std::chrono::milliseconds(0);
        g_last_successful_dial.store(Clock::now().time_since_epoch().count(),
                                     std::memory_order_relaxed);
        co_return connection;
    } catch (const DatabaseUnavailable& e) {
        --open_;
        // A server that takes the TCP connection but never answers the handshake is frozen, not
        // down: the breaker makes everyone else fail fast meanwhile.
        if (e.deadline_passed()) options_.breaker->unresponsive(false);
        backoff_ = backoff_.count() == 0 ? options_.backoff_initial
                                         : std::min(backoff_ * 2, options_.backoff_max);
        backoff_started_ = Clock::now();
        backoff_until_ = backoff_started_ + backoff_;
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
            if (in_backoff()) {
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

namespace {
// Bounds one pipeline so a huge queue cannot hold a connection (and memory) for long.
constexpr std::size_t kMaxBatch = 64;
// Another connection joins in only when this many statements per busy connection are waiting:
// big batches cost Postgres far fewer wake-ups than many small ones (measured: 50k → 65k /ready
// req/s on 2 cores), while a deep queue still spreads over the pool.
constexpr std::size_t kStatementsPerRunner = 32;
// How long past the statement timeout a batch waits for the server's own cancellation.
constexpr std::chrono::milliseconds kServerAnswerGrace{500};
}  // namespace

void Pool::report(const std::vector<std::shared_ptr<Queued>>& batch, bool completed,
                  bool unresponsive) {
    bool probe = false;
    for (const auto& queued : batch) probe = probe || queued->probe;
    if (completed) {
        last_completion_ = Clock::now();
        options_.breaker->succeeded(probe);
    } else if (unresponsive) {
        options_.breaker->unresponsive(probe);
    } else if (probe) {
        options_.breaker->probe_abandoned();
    }
}

void Pool::fail_queued(const std::exception_ptr& error) {
    while (!queue_.empty()) {
        auto queued = std::move(queue_.front());
        queue_.pop_front();
        queued->item.error = error;
        if (queued->probe) options_.breaker->probe_abandoned();
        finish(*queued);
    }
}

void Pool::finish(Queued& queued) {
    queued.done = true;
    for (auto& wake : queued.wakes) wake->cancel();
    // The last ping's result is not kept alive until the next ping.
    if (pending_ping_.get() == &queued) pending_ping_.reset();
}

asio::awaitable<void> Pool::run_batches() {
    ++runners_;
    std::vector<std::shared_ptr<Queued>> batch;
    std::vector<BatchItem*> items;
    while (!queue_.empty()) {
        const auto deadline = Clock::now() + options_.statement_timeout;
        batch.clear();
        try {
            Lease lease = co_await acquire(deadline);
            items.clear();
            while (!queue_.empty() && batch.size() < kMaxBatch) {
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
                batch.back()->sent = true;
                items.push_back(&batch.back()->item);
            }
            if (batch.empty()) break;  // another runner took them while we waited
            statements_sent_ += batch.size();
            bool completed = true;
            bool unresponsive = false;
            try {
                // Postgres enforces statement_timeout itself and answers 57014; only a server
                // that says nothing at all outlives this grace, and that is what trips the breaker.
                co_await lease->execute_batch(items, deadline + kServerAnswerGrace);
            } catch (const DatabaseUnavailable& e) {
                completed = false;
                unresponsive = e.deadline_passed();
                const auto error = std::current_exception();
                for (auto* item : items) {
                    if (!item->error) item->error = error;
                }
            }
            report(batch, completed, unresponsive);
            for (auto& queued : batch) finish(*queued);
            // Postgres stopped answering: what still waits here fails now, not at its deadline.
            if (unresponsive) {
                fail_queued(std::make_exception_ptr(
                    DatabaseUnavailable("database unresponsive (failing fast)")));
            }
        } catch (const DatabaseUnavailable&) {
            // No connection to be had: everything waiting fails now rather than at its deadline.
            fail_queued(std::current_exception());
        }
    }
    --runners_;
}

namespace {
constexpr Statement kPing{"portcullis_ping", "SELECT 1"};
}  // namespace

std::shared_ptr<Pool::Queued> Pool::enqueue(const Statement& statement,
                                            std::span<const Param> params) {
    bool probe = false;
    if (!options_.breaker->admit(probe)) {
        throw DatabaseUnavailable("database unresponsive (failing fast until a probe answers)");
    }
    if (probe && &statement != &kPing) {
        // A user's statement never serves as the probe (it would wait out the deadline if
        // Postgres is still frozen): a `SELECT 1` goes in its place, and the caller fails fast.
        push(kPing, {}, true);
        throw DatabaseUnavailable("database unresponsive (probing)");
    }
    return push(statement, params, probe);
}

std::shared_ptr<Pool::Queued> Pool::push(const Statement& statement, std::span<const Param> params,
                                         bool probe) {
    auto queued = std::make_shared<Queued>();
    queued->probe = probe;
    queued->item.statement = &statement;
    queued->item.params.assign(params.begin(), params.end());
    queue_.push_back(queued);
    // co_spawn may run the runner inline up to its first suspension, finishing the item already.
    if (runners_ == 0 ||
        (runners_ < options_.size &&
         queue_.size() > kStatementsPerRunner * static_cast<std::size_t>(runners_))) {
        asio::co_spawn(io_, run_batches(), asio::detached);
    }
    return queued;
}

namespace {
// Counts a caller as waiting for as long as its coroutine waits, even one destroyed while
// suspended (shutdown), so the item's withdrawal rule stays right.
class WaitingScope {
public:
    explicit WaitingScope(int& waiting) : waiting_(waiting) { ++waiting_; }
    ~WaitingScope() { --waiting_; }
    WaitingScope(const WaitingScope&) = delete;
    WaitingScope& operator=(const WaitingScope&) = delete;

private:
    int& waiting_;
};
}  // namespace

asio::awaitable<void> Pool::await_done(const std::shared_ptr<Queued>& queued,
                                       Clock::time_point deadline) {
    if (!queued->done) {
        auto wake = std::make_shared<asio::steady_timer>(io_, deadline);
        queued->wakes.push_back(wake);
        const WaitingScope scope(queued->waiting);
        co_await wake->async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (!queued->done) {
        // Deadline. An item still queued is withdrawn once nobody waits for it; a sent one
        // finishes in its batch, which owns a reference.
        if (queued->waiting == 0 && !queued->sent) {
            queued->withdrawn = true;
            std::erase(queue_, queued);
            if (queued->probe) options_.breaker->probe_abandoned();
        }
        throw DatabaseUnavailable("database deadline exceeded while queued");
    }
    if (queued->item.error) std::rethrow_exception(queued->item.error);
}

asio::awaitable<Result> Pool::execute(const Statement& statement, std::span<const Param> params) {
    const auto deadline = Clock::now() + options_.statement_timeout;
    const auto queued = enqueue(statement, params);
    co_await await_done(queued, deadline);
    co_return std::move(queued->item.result);
}

asio::awaitable<bool> Pool::ping(std::chrono::milliseconds timeout) {
    const auto started = Clock::now();
    const auto deadline = started + timeout;
    try {
        if (!pending_ping_ || !pending_ping_->joinable()) pending_ping_ = enqueue(kPing, {});
    } catch (const DatabaseUnavailable&) {
        co_return false;  // the breaker is open and another statement is the probe
    }
    const auto round = pending_ping_;
    try {
        co_await await_done(round, deadline);
        co_return true;
    } catch (const std::exception&) {
        // Nothing came back from Postgres on this thread for as long as the probe waited, whether
        // the ping was sent or stuck behind round trips that do not end: the readiness probe's
        // verdict is the breaker's too.
        if (!round->done && last_completion_ < started) options_.breaker->unresponsive(false);
        co_return false;
    }
}

}  // namespace portcullis::db
