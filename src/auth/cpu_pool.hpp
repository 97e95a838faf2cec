// The CPU pool of design section 2: a fixed set of threads for Argon2 work with a bounded queue.
// A full queue refuses new work (503 OVERLOADED, decisions C.3) instead of queueing forever; the
// awaiting coroutine resumes on its own executor, never on a pool thread.
// The queue is fair (issue #19): jobs are taken round-robin across clients, a full queue makes
// room for a client with fewer jobs by refusing the newest job of the client with the most, and
// the job of a client that has disconnected is dropped before it runs. A credential-stuffing
// burst from one address therefore delays only itself, and its abandoned jobs do not outlive it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "util/unavailable.hpp"

namespace portcullis::auth {

class Overloaded : public util::Unavailable {
public:
    Overloaded()
        : util::Unavailable("OVERLOADED", "Server is busy, please retry",
                            "password hashing queue is full") {}
};

// The answer to a job dropped because its client disconnected: nobody reads it.
class ClientGone : public util::Unavailable {
public:
    ClientGone()
        : util::Unavailable("OVERLOADED", "Server is busy, please retry",
                            "client disconnected before its password hashing ran") {}
};

class CpuPool {
public:
    // Who a job is for.
    struct Client {
        std::string key;  // what fairness counts by (an address or network); "" for anonymous
        // True once nobody waits for the result any more; may be empty. Called on the submitting
        // thread and on pool threads, while the job waits.
        std::function<bool()> gone;
    };

    struct Stats {
        std::size_t client_gone = 0;  // dropped unrun: the client had disconnected
        std::size_t queue_full = 0;   // refused on arrival
        std::size_t fair_share = 0;   // refused to make room for a client with fewer jobs
    };

    // `max_queue` bounds the waiting jobs (running ones hold a thread and do not count).
    CpuPool(std::size_t threads, std::size_t max_queue);
    ~CpuPool();  // finishes queued work, then joins
    CpuPool(const CpuPool&) = delete;
    CpuPool& operator=(const CpuPool&) = delete;

    // Runs `fn` on a pool thread and returns its result (or rethrows its exception) on the
    // caller's executor. Throws Overloaded when the queue has no room for `client` (at once, or
    // later when a client with fewer jobs needs its place), ClientGone when the client left.
    template <typename Fn>
    boost::asio::awaitable<std::invoke_result_t<Fn>> run(Client client, Fn fn);
    template <typename Fn>
    boost::asio::awaitable<std::invoke_result_t<Fn>> run(Fn fn) {
        return run(Client{}, std::move(fn));
    }

    // Whether a job of `key` would be queued now; jobs of departed clients are dropped to find
    // room. Lets a caller refuse before doing work that is useless without the hash.
    bool has_room_for(std::string_view key);

    std::size_t queue_depth() const { return depth_.load(std::memory_order_relaxed); }
    std::size_t capacity() const { return max_queue_; }
    Stats stats() const;

private:
    // A queued job: runs its work, or is abandoned with an error; either way it leaves depth_
    // and hands its outcome to the awaiting coroutine.
    struct Job {
        virtual ~Job() = default;
        virtual void run() = 0;
        virtual void abandon(std::exception_ptr error) = 0;
        Client client;
    };
    template <typename R, typename Handler, typename Fn>
    struct TypedJob;

    using Queue = std::deque<std::unique_ptr<Job>>;
    using Queues = std::map<std::string, Queue, std::less<>>;
    // Jobs taken out of the queue unrun, answered once the lock is released.
    struct Abandoned {
        std::vector<std::unique_ptr<Job>> gone;  // their clients disconnected
        std::unique_ptr<Job> displaced;          // gave its place to a client with fewer jobs
    };

    void submit(std::unique_ptr<Job> job);
    std::unique_ptr<Job> next_locked();
    // Moves the waiting jobs of departed clients to `out`.
    void take_gone_locked(std::vector<std::unique_ptr<Job>>& out);
    // Makes room for a job of `key` if the queue is full: departed clients' jobs go first, then
    // the newest job of the client with the most. False when there is no room to make.
    bool make_room_locked(std::string_view key, Abandoned& out);
    void answer(Abandoned& abandoned);
    std::size_t waiting_of_locked(std::string_view key) const;
    void worker();

    std::size_t max_queue_;
    mutable std::mutex mutex_;
    std::condition_variable ready_;
    Queues queues_;                      // waiting jobs per client, oldest first
    std::deque<Queues::iterator> turn_;  // clients with waiting jobs, whose turn is next first
    std::size_t waiting_ = 0;
    std::atomic<std::size_t> depth_{0};  // queued + running
    std::atomic<std::size_t> client_gone_{0};
    std::atomic<std::size_t> queue_full_{0};
    std::atomic<std::size_t> fair_share_{0};
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

template <typename R, typename Handler, typename Fn>
struct CpuPool::TypedJob final : CpuPool::Job {
    TypedJob(std::atomic<std::size_t>& depth, Handler h, Fn f)
        : depth_(depth), handler(std::move(h)), work(std::move(f)) {}

    void run() override {
        std::exception_ptr error;
        R value{};
        try {
            value = work();
        } catch (...) {
            error = std::current_exception();
        }
        complete(error, std::move(value));
    }
    void abandon(std::exception_ptr error) override { complete(error, R{}); }

private:
    void complete(std::exception_ptr error, R value) {
        // Left before the caller resumes, so a response sent after this job never sees it still
        // counted (the queue-depth gauge read 1 after the last login otherwise).
        depth_.fetch_sub(1, std::memory_order_relaxed);
        auto executor = boost::asio::get_associated_executor(handler);
        boost::asio::post(executor, [h = std::move(handler), error,
                                     v = std::move(value)]() mutable { h(error, std::move(v)); });
    }

    std::atomic<std::size_t>& depth_;
    Handler handler;
    Fn work;
};

// Not a coroutine on purpose: GCC 12 mis-copies lambdas with non-trivial captures when they are
// coroutine parameters (seen as a free of a coroutine-frame address under ASan). The work is
// handed straight to async_initiate, whose completion resumes the awaiting coroutine.
template <typename Fn>
boost::asio::awaitable<std::invoke_result_t<Fn>> CpuPool::run(Client client, Fn fn) {
    using R = std::invoke_result_t<Fn>;
    static_assert(!std::is_void_v<R>, "return a value from CPU pool work");
    static_assert(std::is_default_constructible_v<R>, "the refusal path needs an empty R");
    return boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                       void(std::exception_ptr, R)>(
        [this](auto handler, Client owner, Fn work) {
            using Typed = TypedJob<R, decltype(handler), Fn>;
            auto job = std::make_unique<Typed>(depth_, std::move(handler), std::move(work));
            job->client = std::move(owner);
            submit(std::move(job));
        },
        boost::asio::use_awaitable, std::move(client), std::move(fn));
}

}  // namespace portcullis::auth
