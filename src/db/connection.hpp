// One non-blocking libpq connection driven by Asio (design sections 2 and 5): its socket is
// awaited on the owning I/O thread, every operation has a deadline, and statements are prepared
// once per connection.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "db/dsn.hpp"
#include "db/host_resolver.hpp"
#include "db/result.hpp"

struct pg_conn;

namespace portcullis::db {

using Clock = std::chrono::steady_clock;
using Param = std::optional<std::string>;  // nullopt is SQL NULL

// A named, parameterized statement; `name` must be unique per SQL text.
struct Statement {
    std::string_view name;
    std::string_view sql;
};

// One statement of a pipelined batch; the outcome is filled in by execute_batch.
struct BatchItem {
    const Statement* statement = nullptr;
    std::vector<Param> params;
    Result result;
    std::exception_ptr error;  // QueryError or DatabaseUnavailable
};

class Connection : public std::enable_shared_from_this<Connection> {
public:
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Dials asynchronously; throws DatabaseUnavailable on failure or when `deadline` passes.
    // Host names are resolved first with `lookup` (empty: the system resolver), within the same
    // deadline and without blocking the thread.
    static boost::asio::awaitable<std::shared_ptr<Connection>> open(
        boost::asio::io_context& io, const ConnectionSettings& settings, Clock::time_point deadline,
        const HostLookup& lookup = {});

    // Runs a prepared statement (prepared on first use). Throws QueryError for server-side
    // errors, DatabaseUnavailable for transport failures and deadlines (the connection is then
    // broken and must be dropped).
    boost::asio::awaitable<Result> execute(const Statement& statement,
                                           std::span<const Param> params,
                                           Clock::time_point deadline);

    // Sends every item in libpq pipeline mode (one write, one sync point per item so a failing
    // statement affects only itself) and reads the results in order: one round trip for the
    // whole batch.
    // Per-item server errors land in item.error; a transport failure or the deadline throws
    // DatabaseUnavailable for the batch.
    boost::asio::awaitable<void> execute_batch(std::span<BatchItem*> items,
                                               Clock::time_point deadline);

    // Runs SQL text without preparing it (setup, BEGIN/COMMIT, one-off statements).
    boost::asio::awaitable<Result> simple(std::string_view sql, Clock::time_point deadline);

    // False once a transport error or deadline has hit; such a connection is never reused.
    bool healthy() const { return !broken_; }
    // Reads anything the server sent while idle (e.g. its shutdown notice); false when dead.
    bool still_alive();

private:
    Connection(boost::asio::io_context& io, pg_conn* conn);

    boost::asio::awaitable<void> wait(bool for_write);
    boost::asio::awaitable<void> flush();
    boost::asio::awaitable<Result> collect();
    boost::asio::awaitable<pg_result*> next_result();
    boost::asio::awaitable<Result> run(std::string_view name, std::string_view sql, bool prepare,
                                       std::span<const Param> params, Clock::time_point deadline);
    void arm(Clock::time_point deadline);
    void disarm();
    void adopt_socket();
    void drop_socket();
    [[noreturn]] void fail(const std::string& what, bool deadline_passed = false);

    boost::asio::io_context& io_;
    pg_conn* conn_;
    boost::asio::posix::stream_descriptor socket_;
    boost::asio::steady_timer timer_;
    std::uint64_t generation_ = 0;
    bool timed_out_ = false;
    bool broken_ = false;
    bool tcp_ = false;  // TCP_CORK applies (not a Unix socket)
    std::unordered_set<std::string> prepared_;
};

}  // namespace portcullis::db
