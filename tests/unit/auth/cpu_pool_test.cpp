// Pins the CPU pool: results and exceptions reach the awaiting coroutine on its own thread, a full
// queue refuses work with Overloaded, depth counts queued + running jobs, and shutdown drains;
// the queue is fair (issue #19): round-robin across clients, a full queue makes room for a client
// with fewer jobs, and a departed client's jobs are dropped unrun.
#include "auth/cpu_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>
#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace portcullis::auth {
namespace {

namespace asio = boost::asio;

// Runs `coro` on a fresh io_context on this thread until it finishes; rethrows its exception.
template <typename Coro>
void run_on_this_thread(Coro coro) {
    asio::io_context io;
    std::exception_ptr failure;
    asio::co_spawn(io, std::move(coro), [&](std::exception_ptr e) { failure = e; });
    io.run();
    if (failure) std::rethrow_exception(failure);
}

// Polls until `done` holds (the pool decrements depth just after posting the result).
template <typename Pred>
bool eventually(Pred done) {
    for (int i = 0; i < 2000 && !done(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return done();
}

TEST(AuthCpuPool, DeliversResults) {
    CpuPool pool(2, 8);
    EXPECT_EQ(pool.capacity(), 8U);
    int number = 0;
    std::string text;
    run_on_this_thread([&]() -> asio::awaitable<void> {
        number = co_await pool.run([] { return 6 * 7; });
        text = co_await pool.run([] { return std::string("hashed"); });
    });
    EXPECT_EQ(number, 42);
    EXPECT_EQ(text, "hashed");
    EXPECT_TRUE(eventually([&] { return pool.queue_depth() == 0; }));
}

TEST(AuthCpuPool, RethrowsTheJobsException) {
    CpuPool pool(1, 4);
    std::string caught;
    run_on_this_thread([&]() -> asio::awaitable<void> {
        try {
            (void)co_await pool.run([]() -> int { throw std::runtime_error("boom"); });
        } catch (const std::runtime_error& e) {
            caught = e.what();
        }
        // The pool keeps working after a failed job.
        const int after = co_await pool.run([] { return 1; });
        EXPECT_EQ(after, 1);
    });
    EXPECT_EQ(caught, "boom");
}

TEST(AuthCpuPool, WorkRunsOnThePoolAndResumesOnTheCallersThread) {
    CpuPool pool(2, 4);
    const auto caller = std::this_thread::get_id();
    std::thread::id worker;
    std::thread::id resumed;
    run_on_this_thread([&]() -> asio::awaitable<void> {
        worker = co_await pool.run([] { return std::this_thread::get_id(); });
        resumed = std::this_thread::get_id();
    });
    EXPECT_NE(worker, caller);
    EXPECT_EQ(resumed, caller);
}

TEST(AuthCpuPool, ResumesOnTheCallersExecutorWhenItRunsOnAnotherThread) {
    CpuPool pool(1, 4);
    asio::io_context io;
    std::thread::id io_thread;
    std::thread::id resumed;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            io_thread = std::this_thread::get_id();
            (void)co_await pool.run([] { return 0; });
            resumed = std::this_thread::get_id();
        },
        asio::detached);
    std::thread runner([&] { io.run(); });
    runner.join();
    EXPECT_EQ(resumed, io_thread);
    EXPECT_NE(io_thread, std::this_thread::get_id());
}

TEST(AuthCpuPool, FullQueueThrowsOverloadedAndDepthCounts) {
    CpuPool pool(1, 1);
    std::latch started(1);
    std::latch release(1);
    asio::io_context io;
    int first = 0;
    int second = 0;
    bool overloaded = false;
    std::string code;

    // Job 1 occupies the only thread.
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            first = co_await pool.run([&] {
                started.count_down();
                release.wait();
                return 1;
            });
        },
        asio::detached);
    io.poll();
    started.wait();
    EXPECT_EQ(pool.queue_depth(), 1U);

    // Job 2 waits in the queue (capacity 1).
    asio::co_spawn(
        io, [&]() -> asio::awaitable<void> { second = co_await pool.run([] { return 2; }); },
        asio::detached);
    io.poll();
    EXPECT_EQ(pool.queue_depth(), 2U);

    // Job 3 is refused at once.
    bool third_ran = false;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            try {
                (void)co_await pool.run([&] {
                    third_ran = true;
                    return 3;
                });
            } catch (const Overloaded& e) {
                overloaded = true;
                code = e.code();
                EXPECT_EQ(e.public_message(), "Server is busy, please retry");
            }
        },
        asio::detached);
    io.poll();
    EXPECT_TRUE(overloaded);
    EXPECT_EQ(code, "OVERLOADED");
    EXPECT_EQ(pool.queue_depth(), 2U);

    release.count_down();
    io.run();
    EXPECT_EQ(first, 1);
    EXPECT_EQ(second, 2);
    EXPECT_FALSE(third_ran);
    EXPECT_TRUE(eventually([&] { return pool.queue_depth() == 0; }));
}

TEST(AuthCpuPool, ManyConcurrentJobs) {
    CpuPool pool(2, 100);
    asio::io_context io;
    std::atomic<int> sum = 0;
    for (int i = 1; i <= 60; ++i) {
        asio::co_spawn(
            io, [&, i]() -> asio::awaitable<void> { sum += co_await pool.run([i] { return i; }); },
            asio::detached);
    }
    io.run();
    EXPECT_EQ(sum.load(), 60 * 61 / 2);
    EXPECT_TRUE(eventually([&] { return pool.queue_depth() == 0; }));
}

TEST(AuthCpuPool, DestructorFinishesQueuedWork) {
    asio::io_context io;
    std::atomic<int> ran = 0;
    int delivered = 0;
    {
        CpuPool pool(1, 10);
        for (int i = 0; i < 5; ++i) {
            asio::co_spawn(
                io,
                [&]() -> asio::awaitable<void> {
                    const int order = co_await pool.run([&] {
                        std::this_thread::sleep_for(std::chrono::milliseconds(5));
                        return ++ran;
                    });
                    if (order > 0) ++delivered;
                },
                asio::detached);
        }
        io.poll();  // all five submitted
    }
    EXPECT_EQ(ran.load(), 5);
    io.run();
    EXPECT_EQ(delivered, 5);
}

// A one-thread pool held busy by a gate job, so tests can arrange its queue and then let it go.
class GatedPool {
public:
    explicit GatedPool(std::size_t capacity) : pool(1, capacity) {
        asio::co_spawn(
            io,
            [this]() -> asio::awaitable<void> {
                (void)co_await pool.run([this] {
                    started.count_down();
                    release.wait();
                    return 0;
                });
            },
            asio::detached);
        io.poll();
        started.wait();
    }

    // Queues a job of `key` that records its name when it runs; the outcome is recorded when it
    // is answered (`name`, or `name:OVERLOADED` / `name:GONE`).
    void submit(const std::string& key, const std::string& name, std::function<bool()> gone = {}) {
        asio::co_spawn(io, job(this, key, name, std::move(gone)), asio::detached);
        io.poll();
    }

    // A coroutine function, not a capturing lambda: its arguments live in its frame.
    static asio::awaitable<void> job(GatedPool* self, std::string key, std::string name,
                                     std::function<bool()> gone) {
        CpuPool::Client client{key, gone};
        auto work = [self, name] {
            self->ran.push_back(name);  // one pool thread: no race
            return 0;
        };
        try {
            (void)co_await self->pool.run(std::move(client), std::move(work));
            self->answers.push_back(name);
        } catch (const ClientGone&) {
            self->answers.push_back(name + ":GONE");
        } catch (const Overloaded&) {
            self->answers.push_back(name + ":OVERLOADED");
        }
    }

    void finish() {
        release.count_down();
        io.run();
    }

    asio::io_context io;
    CpuPool pool;
    std::latch started{1};
    std::latch release{1};
    std::vector<std::string> ran;
    std::vector<std::string> answers;
};

TEST(AuthCpuPool, ClientsTakeTurns) {
    GatedPool gated(10);
    for (const char* name : {"a1", "a2", "a3", "a4"}) gated.submit("A", name);
    gated.submit("B", "b1");
    gated.submit("C", "c1");
    gated.submit("B", "b2");
    gated.finish();
    // One burst of A does not make B and C wait behind all of it.
    EXPECT_EQ(gated.ran, (std::vector<std::string>{"a1", "b1", "c1", "a2", "b2", "a3", "a4"}));
}

TEST(AuthCpuPool, AFullQueueMakesRoomForAClientWithFewerJobs) {
    GatedPool gated(4);
    for (const char* name : {"a1", "a2", "a3", "a4"}) gated.submit("A", name);
    gated.submit("A", "a5");  // full, and A already holds the most: refused
    gated.submit("B", "b1");  // A gives up its newest
    gated.submit("B", "b2");  // A (3) still holds two more than B would (2): again
    gated.submit("B", "b3");  // 2 and 2: B must wait its turn like anyone
    EXPECT_EQ(gated.answers, (std::vector<std::string>{"a5:OVERLOADED", "a4:OVERLOADED",
                                                       "a3:OVERLOADED", "b3:OVERLOADED"}));
    EXPECT_FALSE(gated.pool.has_room_for("B"));
    EXPECT_TRUE(gated.pool.has_room_for("C"));  // a newcomer still finds a place
    const auto stats = gated.pool.stats();
    EXPECT_EQ(stats.queue_full, 2U);
    EXPECT_EQ(stats.fair_share, 2U);
    gated.finish();
    EXPECT_EQ(gated.ran, (std::vector<std::string>{"a1", "b1", "a2", "b2"}));
}

TEST(AuthCpuPool, JobsOfDepartedClientsAreDroppedUnrun) {
    GatedPool gated(3);
    std::atomic<bool> left = false;
    const auto gone = [&left] { return left.load(); };
    gated.submit("A", "a1", gone);
    gated.submit("A", "a2", gone);
    gated.submit("A", "a3", gone);
    EXPECT_FALSE(gated.pool.has_room_for("A"));
    left = true;  // the burst's connections close
    // A full queue of departed jobs has room again, for anyone, the burst's own address too.
    EXPECT_TRUE(gated.pool.has_room_for("A"));
    gated.io.poll();  // their answers arrive on the callers' executor
    EXPECT_EQ(gated.answers, (std::vector<std::string>{"a1:GONE", "a2:GONE", "a3:GONE"}));
    gated.submit("A", "later");
    gated.submit("B", "b1", [] { return true; });  // gone before its turn: not run either
    gated.finish();
    EXPECT_EQ(gated.ran, (std::vector<std::string>{"later"}));
    EXPECT_EQ(gated.pool.stats().client_gone, 4U);
    EXPECT_TRUE(eventually([&] { return gated.pool.queue_depth() == 0; }));
}

TEST(AuthCpuPool, ZeroThreadsStillRuns) {
    CpuPool pool(0, 2);
    int value = 0;
    run_on_this_thread(
        [&]() -> asio::awaitable<void> { value = co_await pool.run([] { return 5; }); });
    EXPECT_EQ(value, 5);
}

}  // namespace
}  // namespace portcullis::auth
