// The per-statement cost of our Postgres layer: `SELECT 1` through portcullis::db::Pool as fast as
// C concurrent callers can issue it, beside pgbench's `SELECT 1` ceiling. `GET /ready` shares one
// `SELECT 1` among concurrent probes, so its row no longer shows this; bench/run.sh runs this tool
// as its own row; see bench/README.md.
//
//   portcullis_pool_select1_rate --url URL [--threads T] [--callers C] [--seconds D]
//                                [--pool-size P] [--warmup W]
//
// Defaults: one thread per core, 64 callers, 10 s, 4 connections per thread, 1 s warm-up. As in the
// server, each thread runs its own io_context with its own Pool of P connections; the C callers are
// split evenly over the threads (the first C % T threads take one more, and T is lowered to C when
// C < T). Each caller loops `co_await pool.execute(SELECT 1)`: a normal prepared statement with its
// own sync point, never the shared readiness ping, so every call costs Postgres one statement.
// Calls finished within the D seconds after the warm-up count, and the rate is that count divided
// by D, as wrk and pgbench do. Failed calls are counted apart (warm-up included), a failing caller
// pauses 10 ms before its next call, and any failure makes the exit status 1. Prints one line:
//   statements_per_sec=<rate> statements=<n> errors=<e> threads=<T> callers=<C> pool_size=<P>
//   seconds=<D> pool_statements_sent=<s>
// where s is the sum over the pools of Pool::statements_sent() over the same D seconds: with every
// call a statement of its own, s stays within C of n (calls in flight at either end of the window).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "db/dsn.hpp"
#include "db/pool.hpp"

namespace {

namespace asio = boost::asio;
namespace db = portcullis::db;
using Clock = std::chrono::steady_clock;

struct Options {
    std::string url;
    unsigned threads = 0;
    unsigned callers = 64;
    double seconds = 10.0;
    double warmup = 1.0;
    int pool_size = 4;
};

[[noreturn]] void usage(const std::string& message, int status = 2) {
    std::fprintf(status == 0 ? stdout : stderr,
                 "portcullis_pool_select1_rate: %s\n"
                 "usage: portcullis_pool_select1_rate --url URL [--threads T] [--callers C] "
                 "[--seconds D] [--pool-size P] [--warmup W]\n",
                 message.c_str());
    std::exit(status);
}

// A whole number in [1, max]: digits only (no sign, no fraction, no exponent).
std::uint64_t parse_count(const char* text, const char* flag, std::uint64_t max) {
    const std::string_view digits = text;
    if (digits.empty() || digits.size() > 9 ||
        digits.find_first_not_of("0123456789") != std::string_view::npos) {
        usage(flag);
    }
    const std::uint64_t value = std::strtoull(text, nullptr, 10);
    if (value < 1 || value > max) usage(flag);
    return value;
}

// Seconds: a finite number up to 1e6, above 0 (or at least 0 when `zero_allowed`).
double parse_seconds(const char* text, const char* flag, bool zero_allowed) {
    char* end = nullptr;
    const double value = std::strtod(text, &end);
    if (end == text || *end != '\0' || !std::isfinite(value) || value > 1e6) usage(flag);
    if (zero_allowed ? value < 0 : !(value > 0)) usage(flag);
    return value;
}

Options parse(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        if (flag == "--help" || flag == "-h") usage("SELECT 1 per call through db::Pool", 0);
        if (i + 1 >= argc) usage("missing value for " + std::string(flag));
        const char* value = argv[++i];
        if (flag == "--url") {
            options.url = value;
        } else if (flag == "--threads") {
            options.threads = static_cast<unsigned>(parse_count(value, "bad --threads", 1024));
        } else if (flag == "--callers") {
            options.callers = static_cast<unsigned>(parse_count(value, "bad --callers", 100000));
        } else if (flag == "--seconds") {
            options.seconds = parse_seconds(value, "bad --seconds", false);
        } else if (flag == "--warmup") {
            options.warmup = parse_seconds(value, "bad --warmup", true);
        } else if (flag == "--pool-size") {
            options.pool_size = static_cast<int>(parse_count(value, "bad --pool-size", 1000));
        } else {
            usage("unknown option " + std::string(flag));
        }
    }
    if (options.url.empty()) usage("--url is required");
    if (options.threads == 0) options.threads = std::max(1U, std::thread::hardware_concurrency());
    options.threads = std::min(options.threads, options.callers);
    return options;
}

// The measured window, the same for every thread.
struct Window {
    Clock::time_point from;      // end of the warm-up
    Clock::time_point deadline;  // end of the measured run
};

// One thread's tallies; only that thread writes them, main reads them after join. A cache line
// each, so the threads' counters do not share one.
struct alignas(64) Tally {
    std::uint64_t statements = 0;  // calls finished within the window
    std::uint64_t errors = 0;      // failed calls, warm-up included
    std::uint64_t sent_at_from = 0;
    std::uint64_t sent_at_deadline = 0;
    std::string first_error;
    bool crashed = false;
};

// A normal statement: its own sync point, not shared with concurrent calls (unlike Pool::ping).
constexpr db::Statement kSelect1{"bench_select1", "SELECT 1"};

asio::awaitable<void> caller(db::Pool& pool, const Window& window, Tally& tally) {
    for (;;) {
        bool ok = true;
        try {
            const db::Result result = co_await pool.execute(kSelect1, {});
            if (result.rows() != 1 || result.get(0, 0) != "1") {
                throw std::runtime_error("SELECT 1 did not answer 1");
            }
        } catch (const std::exception& e) {
            ok = false;
            ++tally.errors;
            if (tally.first_error.empty()) tally.first_error = e.what();
        }
        const auto now = Clock::now();
        if (now > window.deadline) break;
        if (ok && now >= window.from) ++tally.statements;
        if (!ok) {
            // A database that is down fails calls at once: no busy loop until the deadline.
            asio::steady_timer pause(co_await asio::this_coro::executor,
                                     std::chrono::milliseconds(10));
            co_await pause.async_wait(asio::as_tuple(asio::use_awaitable));
        }
    }
}

// Pool::statements_sent() at both ends of the window (on the pool's own thread).
asio::awaitable<void> sample_sent(const db::Pool& pool, const Window& window, Tally& tally) {
    asio::steady_timer timer(co_await asio::this_coro::executor, window.from);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    tally.sent_at_from = pool.statements_sent();
    timer.expires_at(window.deadline);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    tally.sent_at_deadline = pool.statements_sent();
}

// One I/O thread: its own io_context and Pool, `callers` coroutines; returns when all are done.
void run_thread(const db::ConnectionSettings& settings, int pool_size, unsigned callers,
                const Window& window, Tally& tally) {
    try {
        asio::io_context io{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
        db::Pool pool(io, settings, {.size = pool_size});
        for (unsigned c = 0; c < callers; ++c) {
            asio::co_spawn(io, caller(pool, window, tally), asio::detached);
        }
        asio::co_spawn(io, sample_sent(pool, window, tally), asio::detached);
        io.run();
    } catch (const std::exception& e) {
        tally.crashed = true;
        if (tally.first_error.empty()) tally.first_error = e.what();
    }
}

}  // namespace

int main(int argc, char** argv) {
    const Options options = parse(argc, argv);
    std::string error;
    const auto settings = db::parse_database_url(options.url, error);
    if (!settings) usage("bad --url: " + error);

    std::vector<Tally> tallies(options.threads);
    std::vector<std::thread> threads;
    const auto start = Clock::now();
    Window window;
    window.from = start + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(options.warmup));
    window.deadline = window.from + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(options.seconds));
    for (unsigned t = 0; t < options.threads; ++t) {
        const unsigned callers =
            options.callers / options.threads + (t < options.callers % options.threads ? 1U : 0U);
        threads.emplace_back(run_thread, std::cref(*settings), options.pool_size, callers,
                             std::cref(window), std::ref(tallies[t]));
    }
    for (auto& thread : threads) thread.join();

    std::uint64_t statements = 0;
    std::uint64_t errors = 0;
    std::uint64_t sent = 0;
    bool crashed = false;
    for (const auto& tally : tallies) {
        statements += tally.statements;
        errors += tally.errors;
        sent += tally.sent_at_deadline - tally.sent_at_from;
        crashed = crashed || tally.crashed;
        if (!tally.first_error.empty() && (tally.errors > 0 || tally.crashed)) {
            error = tally.first_error;
        }
    }
    std::printf(
        "statements_per_sec=%.2f statements=%llu errors=%llu threads=%u callers=%u pool_size=%d "
        "seconds=%g pool_statements_sent=%llu\n",
        static_cast<double>(statements) / options.seconds,
        static_cast<unsigned long long>(statements), static_cast<unsigned long long>(errors),
        options.threads, options.callers, options.pool_size, options.seconds,
        static_cast<unsigned long long>(sent));
    if (errors > 0 || crashed) {
        std::fprintf(stderr, "portcullis_pool_select1_rate: %s%llu failed calls; first: %s\n",
                     crashed ? "a thread stopped on an exception; " : "",
                     static_cast<unsigned long long>(errors), error.c_str());
        return 1;
    }
    return 0;
}
