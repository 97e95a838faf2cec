// The lifecycle every background job of `serve` shares (the email outbox sender, the session
// cleanup): one coroutine loop started on the first I/O thread that attaches, pauses between rounds
// that stop() cuts short, and a stop() from another thread that waits, bounded, for the loop to
// end. Header-only: it needs Asio, which util's compiled part does not.
#pragma once

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>

namespace portcullis::util {

class BackgroundLoop {
public:
    BackgroundLoop() = default;
    BackgroundLoop(const BackgroundLoop&) = delete;
    BackgroundLoop& operator=(const BackgroundLoop&) = delete;

    // Spawns the loop `make()` returns (an awaitable<void>) on `io` the first time it is called;
    // later calls do nothing. Called on an I/O thread before it runs its io_context.
    template <typename MakeLoop>
    void attach(boost::asio::io_context& io, MakeLoop make) {
        if (attached_.exchange(true)) return;
        io_ = &io;
        {
            const std::lock_guard lock(mutex_);
            running_ = true;
        }
        boost::asio::co_spawn(io, make(), [this](const std::exception_ptr&) {
            const std::lock_guard lock(mutex_);
            running_ = false;
            done_.notify_all();
        });
    }

    // Set once stop() was called; the loop checks it between steps.
    bool stopping() const { return stopping_.load(); }
    const std::atomic<bool>& stop_flag() const { return stopping_; }

    // On the loop's thread: waits `period`, or less when stop() is called meanwhile.
    boost::asio::awaitable<void> pause(std::chrono::steady_clock::duration period) {
        if (stopping()) co_return;
        boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, period);
        timer_ = &timer;
        try {
            co_await timer.async_wait(boost::asio::use_awaitable);
        } catch (const boost::system::system_error&) {
            // Cancelled by stop().
        }
        timer_ = nullptr;
    }

    // From any thread but the loop's: asks the loop to end and waits up to `timeout` for it.
    void stop(std::chrono::milliseconds timeout) {
        stopping_ = true;
        if (io_ == nullptr) return;
        boost::asio::post(*io_, [this] {
            if (timer_ != nullptr) timer_->cancel();
        });
        std::unique_lock lock(mutex_);
        done_.wait_for(lock, timeout, [this] { return !running_; });
    }

private:
    std::atomic<bool> attached_{false};
    std::atomic<bool> stopping_{false};
    boost::asio::io_context* io_ = nullptr;
    boost::asio::steady_timer* timer_ = nullptr;  // the pause in progress; loop thread only
    std::mutex mutex_;
    std::condition_variable done_;
    bool running_ = false;
};

}  // namespace portcullis::util
