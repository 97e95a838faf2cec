// The asynchronous Postgres layer against real servers: prepared statements, errors, deadlines,
// pool limits, outages and recovery (issue "Postgres", design sections 2 and 5).
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include <thread>

#include "db/pool.hpp"
#include "harness.hpp"
#include "private_postgres.hpp"

namespace portcullis::db {
namespace {
using namespace std::chrono_literals;
namespace asio = boost::asio;

// The stack's database; require_postgres() fails the test when it is not set.
std::string shared_database_url() {
    return test::require_postgres();
}

ConnectionSettings settings_for(const std::string& url) {
    std::string error;
    auto settings = parse_database_url(url, error);
    if (!settings) throw std::runtime_error(error);
    return *settings;
}

// Runs one coroutine to completion on `io` and returns its value (or rethrows).
template <typename T>
T run(asio::io_context& io, asio::awaitable<T> task) {
    auto future = asio::co_spawn(io, std::move(task), asio::use_future);
    io.restart();
    // Only until the task is done: background work (timers of idle connections) may remain.
    while (future.wait_for(std::chrono::seconds(0)) != std::future_status::ready) {
        if (io.run_one() == 0) break;
    }
    return future.get();
}

TEST(SharedDatabase, PreparedStatementsTakeParametersAndNulls) {
    asio::io_context io;
    Pool pool(io, settings_for(shared_database_url()), {});
    static constexpr Statement kAdd{"test_add", "SELECT $1::int + 1, $2::text IS NULL"};
    for (int i = 0; i < 3; ++i) {  // prepared once, executed thrice
        const std::vector<Param> params{std::to_string(i), std::nullopt};
        const auto result = run(io, pool.execute(kAdd, params));
        ASSERT_EQ(result.rows(), 1);
        EXPECT_EQ(result.get(0, 0), std::to_string(i + 1));
        EXPECT_EQ(result.get(0, 1), "t");
    }
    EXPECT_EQ(pool.open_connections(), 1);
}

TEST(SharedDatabase, ServerErrorsAreQueryErrorsWithSqlState) {
    asio::io_context io;
    Pool pool(io, settings_for(shared_database_url()), {});
    static constexpr Statement kDivide{"test_divide", "SELECT 1 / $1::int"};
    const std::vector<Param> zero{"0"};
    try {
        run(io, pool.execute(kDivide, zero));
        FAIL() << "expected a QueryError";
    } catch (const QueryError& e) {
        EXPECT_EQ(e.sqlstate(), "22012");
    }
    // The connection stays usable after a server-side error.
    const std::vector<Param> two{"2"};
    EXPECT_EQ(run(io, pool.execute(kDivide, two)).get(0, 0), "0");
    EXPECT_EQ(pool.open_connections(), 1);
}

TEST(SharedDatabase, SlowStatementsHitTheStatementDeadline) {
    asio::io_context io;
    Pool pool(io, settings_for(shared_database_url()), {.statement_timeout = 300ms});
    static constexpr Statement kSleep{"test_sleep", "SELECT pg_sleep($1::float8)"};
    const std::vector<Param> long_sleep{"5"};
    const auto start = Clock::now();
    EXPECT_THROW(run(io, pool.execute(kSleep, long_sleep)), DatabaseUnavailable);
    EXPECT_LT(Clock::now() - start, 2s);
    const std::vector<Param> short_sleep{"0"};
    EXPECT_NO_THROW(run(io, pool.execute(kSleep, short_sleep)));
}

TEST(SharedDatabase, PoolNeverOpensMoreThanItsSize) {
    asio::io_context io;
    Pool pool(io, settings_for(shared_database_url()), {.size = 2});
    static constexpr Statement kSleep{"test_sleep_small", "SELECT pg_sleep(0.05)"};
    int done = 0;
    int most_open = 0;
    for (int i = 0; i < 10; ++i) {
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                co_await pool.execute(kSleep, {});
                most_open = std::max(most_open, pool.open_connections());
                ++done;
            },
            asio::detached);
    }
    io.run();
    EXPECT_EQ(done, 10);
    EXPECT_LE(most_open, 2);
}

TEST(SharedDatabase, SchemaParameterSetsTheSearchPath) {
    asio::io_context io;
    Pool pool(io, settings_for(shared_database_url() + "?schema=Portcullis_Probe"), {});
    static constexpr Statement kPath{"test_path", "SELECT current_setting('search_path')"};
    EXPECT_EQ(run(io, pool.execute(kPath, {})).get(0, 0), "\"Portcullis_Probe\"");
}

// The items of one pipelined batch, run on a fresh connection.
struct Batch {
    std::vector<BatchItem> items;
    void add(const Statement& statement, std::vector<Param> params = {}) {
        items.push_back({&statement, std::move(params), {}, {}});
    }
    void run_on(asio::io_context& io, const std::string& url) {
        std::vector<BatchItem*> pointers;
        for (auto& item : items) pointers.push_back(&item);
        run(io, execute_then_check(io, url, pointers));
    }
    static asio::awaitable<void> execute_then_check(asio::io_context& io, const std::string& url,
                                                    std::span<BatchItem*> items) {
        const auto deadline = Clock::now() + 5s;
        auto connection = co_await Connection::open(io, settings_for(url), deadline);
        co_await connection->execute_batch(items, deadline);
        // The connection is still in step with the server afterwards.
        static constexpr Statement kAfter{"test_after_batch", "SELECT 'after'"};
        const auto after = co_await connection->execute(kAfter, {}, deadline);
        if (after.get(0, 0) != "after") throw std::runtime_error("connection out of step");
    }
    std::string value(std::size_t i) const {
        if (items[i].error) std::rethrow_exception(items[i].error);
        return std::string(items[i].result.get(0, 0));
    }
    std::string sqlstate(std::size_t i) const {
        try {
            if (items[i].error) std::rethrow_exception(items[i].error);
        } catch (const QueryError& e) {
            return e.sqlstate();
        }
        return "ok";
    }
};

// Each item has its own sync point (its own implicit transaction): pg_current_xact_id() tells
// which transaction a statement ran in, and a failure touches only its own item.
TEST(SharedDatabase, EachStatementOfABatchRunsAndFailsOnItsOwn) {
    static constexpr Statement kXact{"test_batch_xact", "SELECT pg_current_xact_id()::text"};
    static constexpr Statement kDivide{"test_batch_divide", "SELECT (1 / $1::int)::text"};
    Batch batch;
    batch.add(kXact);
    batch.add(kDivide, {"0"});
    batch.add(kXact);
    batch.add(kDivide, {"1"});
    batch.add(kDivide, {"0"});
    batch.add(kDivide, {"1"});
    asio::io_context io;
    batch.run_on(io, shared_database_url());
    EXPECT_NE(batch.value(0), batch.value(2));
    EXPECT_EQ(batch.sqlstate(1), "22012");
    EXPECT_EQ(batch.value(3), "1");
    EXPECT_EQ(batch.sqlstate(4), "22012");
    EXPECT_EQ(batch.value(5), "1");
}

void spawn_ping(asio::io_context& io, Pool& pool, int& ready, int& answered,
                std::chrono::milliseconds timeout = 2s) {
    asio::co_spawn(
        io,
        [&pool, &ready, &answered, timeout]() -> asio::awaitable<void> {
            ready += co_await pool.ping(timeout) ? 1 : 0;
            ++answered;
        },
        asio::detached);
}

// Runs handlers until the pool has put `count` statements on the wire (false if it never does).
bool run_until_sent(asio::io_context& io, const Pool& pool, std::uint64_t count) {
    while (pool.statements_sent() < count) {
        if (io.run_one() == 0) return false;
    }
    return true;
}

TEST(SharedDatabase, ConcurrentPingsShareOneQueryNotYetSent) {
    asio::io_context io;
    Pool pool(io, settings_for(shared_database_url()), {.size = 2});
    int ready = 0;
    int answered = 0;
    // All 200 run before the first connection's handshake ends, so all join the first query.
    for (int i = 0; i < 200; ++i) spawn_ping(io, pool, ready, answered);
    io.run();
    EXPECT_EQ(answered, 200);
    EXPECT_EQ(ready, 200);
    EXPECT_EQ(pool.statements_sent(), 1u);
}

TEST(SharedDatabase, APingNeverTakesTheAnswerOfAQuerySentBeforeIt) {
    asio::io_context io;
    Pool pool(io, settings_for(shared_database_url()), {.size = 2});
    int ready = 0;
    int answered = 0;
    spawn_ping(io, pool, ready, answered);
    // Until the first ping's query is on the wire (taken from the queue, not yet answered).
    ASSERT_TRUE(run_until_sent(io, pool, 1));
    ASSERT_EQ(answered, 0);
    spawn_ping(io, pool, ready, answered);
    io.run();
    EXPECT_EQ(answered, 2);
    EXPECT_EQ(ready, 2);
    EXPECT_EQ(pool.statements_sent(), 2u);
}

TEST(SharedDatabase, APingThatTimedOutInTheQueueLeavesNothingBehindForTheNext) {
    asio::io_context io;
    Pool pool(io, settings_for(shared_database_url()), {.size = 1});
    static constexpr Statement kSleep{"test_ping_blocker", "SELECT pg_sleep(2)"};
    asio::co_spawn(io, pool.execute(kSleep, {}), asio::detached);
    ASSERT_TRUE(run_until_sent(io, pool, 1));  // the only connection is busy now
    int ready = 0;
    int answered = 0;
    spawn_ping(io, pool, ready, answered, 100ms);
    io.run();
    EXPECT_EQ(answered, 1);
    EXPECT_EQ(ready, 0);
    EXPECT_TRUE(run(io, pool.ping(2s)));  // a new query, not the abandoned one
    EXPECT_EQ(pool.statements_sent(), 2u);
}

// A ping that joins a waiting query keeps its own deadline: neither cut short by the caller that
// queued the query nor extended by it.
TEST(SharedDatabase, EachPingWaitsForItsOwnTimeout) {
    asio::io_context io;
    Pool pool(io, settings_for(shared_database_url()), {.size = 1});
    static constexpr Statement kSleep{"test_ping_blocker_short", "SELECT pg_sleep(1)"};
    asio::co_spawn(io, pool.execute(kSleep, {}), asio::detached);
    ASSERT_TRUE(run_until_sent(io, pool, 1));
    int short_ready = 0;
    int short_answered = 0;
    int long_ready = 0;
    int long_answered = 0;
    spawn_ping(io, pool, short_ready, short_answered, 200ms);  // queues the query
    spawn_ping(io, pool, long_ready, long_answered, 5s);       // joins it
    io.run();
    EXPECT_EQ(short_answered, 1);
    EXPECT_EQ(short_ready, 0);  // gave up while Postgres was busy
    EXPECT_EQ(long_answered, 1);
    EXPECT_EQ(long_ready, 1);  // still waiting when the query went out: answered
    EXPECT_EQ(pool.statements_sent(), 2u);
}

TEST(SharedDatabase, StatementsAreNeverShared) {
    asio::io_context io;
    Pool pool(io, settings_for(shared_database_url()), {.size = 2});
    static constexpr Statement kOne{"test_not_shared", "SELECT 1"};
    int done = 0;
    for (int i = 0; i < 20; ++i) {
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                co_await pool.execute(kOne, {});
                ++done;
            },
            asio::detached);
    }
    io.run();
    EXPECT_EQ(done, 20);
    EXPECT_EQ(pool.statements_sent(), 20u);
}

TEST(PoolOutage, FailsFastWhilePostgresIsDownAndRecoversOnItsOwn) {
    test::PrivatePostgres postgres;
    asio::io_context io;
    Pool pool(io, settings_for(postgres.url()), {.statement_timeout = 2000ms});
    static constexpr Statement kOne{"test_one", "SELECT 1"};
    EXPECT_EQ(run(io, pool.execute(kOne, {})).get(0, 0), "1");

    postgres.stop();
    for (int i = 0; i < 3; ++i) {
        const auto start = Clock::now();
        EXPECT_THROW(run(io, pool.execute(kOne, {})), DatabaseUnavailable);
        EXPECT_LT(Clock::now() - start, 2000ms);
    }
    EXPECT_FALSE(run(io, pool.ping(500ms)));

    postgres.start();
    const auto back = Clock::now();
    bool recovered = false;
    while (!recovered && Clock::now() - back < 5s) {
        recovered = run(io, pool.ping(500ms));
        if (!recovered) std::this_thread::sleep_for(50ms);
    }
    EXPECT_TRUE(recovered);
    EXPECT_LT(Clock::now() - back, 2s);
    EXPECT_EQ(run(io, pool.execute(kOne, {})).get(0, 0), "1");
}

TEST(PoolOutage, UnresponsiveServerHitsTheConnectDeadline) {
    // A listener that never accepts: the TCP handshake completes, Postgres never answers.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(fd, 16), 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    const std::string url =
        "postgresql://u:secret@127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/db";

    asio::io_context io;
    Pool pool(io, settings_for(url), {.statement_timeout = 400ms, .connect_timeout = 400ms});
    static constexpr Statement kOne{"test_one", "SELECT 1"};
    const auto start = Clock::now();
    try {
        run(io, pool.execute(kOne, {}));
        ADD_FAILURE() << "expected DatabaseUnavailable";
    } catch (const DatabaseUnavailable& e) {
        EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos);
        EXPECT_EQ(e.code(), "DATABASE_UNAVAILABLE");
    }
    EXPECT_LT(Clock::now() - start, 1500ms);
    ::close(fd);
}

}  // namespace
}  // namespace portcullis::db
