// The CPU pool of design section 2: a fixed set of threads for Argon2 work with a bounded queue.
// A full queue refuses new work (503 OVERLOADED, decisions C.3) instead of queueing forever; the
// awaiting coroutine resumes on its own executor, never on a pool thread.
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
#include <memory>
#include <mutex>
#include <optional>
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

class CpuPool {
public:
    CpuPool(std::size_t threads, std::size_t max_queue);
    ~CpuPool();  // finishes queued work, then joins
    CpuPool(const CpuPool&) = delete;
    CpuPool& operator=(const CpuPool&) = delete;

    // Runs `fn` on a pool thread and returns its result (or rethrows its exception) on the
    // caller's executor. Throws Overloaded at once when the queue is full.
    template <typename Fn>
    boost::asio::awaitable<std::invoke_result_t<Fn>> run(Fn fn);

    std::size_t queue_depth() const { return depth_.load(std::memory_order_relaxed); }
    std::size_t capacity() const { return max_queue_; }

private:
    bool submit(std::function<void()> job);  // false when full
    void worker();

    std::size_t max_queue_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> jobs_;
    std::atomic<std::size_t> depth_{0};  // queued + running
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

// Not a coroutine on purpose: GCC 12 mis-copies lambdas with non-trivial captures when they are
// coroutine parameters (seen as a free of a coroutine-frame address under ASan). The work is
// handed straight to async_initiate, whose completion resumes the awaiting coroutine.
template <typename Fn>
boost::asio::awaitable<std::invoke_result_t<Fn>> CpuPool::run(Fn fn) {
    using R = std::invoke_result_t<Fn>;
    static_assert(!std::is_void_v<R>, "return a value from CPU pool work");
    static_assert(std::is_default_constructible_v<R>, "the refusal path needs an empty R");
    return boost::asio::async_initiate<decltype(boost::asio::use_awaitable),
                                       void(std::exception_ptr, R)>(
        [this](auto handler, Fn work) {
            auto executor = boost::asio::get_associated_executor(handler);
            auto shared = std::make_shared<decltype(handler)>(std::move(handler));
            const bool accepted = submit([this, executor, work = std::move(work),
                                          shared]() mutable {
                std::exception_ptr error;
                R value{};
                try {
                    value = work();
                } catch (...) {
                    error = std::current_exception();
                }
                // Done before the caller resumes, so a response sent after this job never sees
                // it still counted (the queue-depth gauge read 1 after the last login otherwise).
                depth_.fetch_sub(1, std::memory_order_relaxed);
                boost::asio::post(executor, [shared, error, value = std::move(value)]() mutable {
                    (*shared)(error, std::move(value));
                });
            });
            if (!accepted) {
                boost::asio::post(executor, [shared]() mutable {
                    (*shared)(std::make_exception_ptr(Overloaded()), R{});
                });
            }
        },
        boost::asio::use_awaitable, std::move(fn));
}

}  // namespace portcullis::auth
