// See connection.hpp. The libpq calls follow its documented non-blocking protocol:
// PQconnectPoll for the handshake, then PQsend*/PQflush/PQconsumeInput/PQisBusy/PQgetResult.
#include "db/connection.hpp"

#include <libpq-fe.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <vector>

namespace portcullis::db {
namespace asio = boost::asio;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);

// Errors after which this session can no longer serve writes: the server turned read-only (a
// demoted primary or a standby behind a stale address, SQLSTATE 25006) or is shutting down
// (57P01-57P03, class 08). The connection is dropped and the request gets 503, so the next dial
// (with `target_session_attrs=read-write`, the new primary) takes over.
bool session_unusable(std::string_view sqlstate) {
    return sqlstate == "25006" || sqlstate == "57P01" || sqlstate == "57P02" ||
           sqlstate == "57P03" || sqlstate.starts_with("08");
}

std::string connection_error(pg_conn* conn) {
    std::string message = conn != nullptr ? PQerrorMessage(conn) : "out of memory";
    while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
        message.pop_back();
    return message;
}
}  // namespace

Connection::Connection(asio::io_context& io, pg_conn* conn)
    : io_(io), conn_(conn), socket_(io), timer_(io) {}

Connection::~Connection() {
    drop_socket();
    PQfinish(conn_);
}

// libpq owns the descriptor and closes it on its own when a connection fails, after which the
// number can be reused by the next socket. So Asio's registration is dropped as soon as libpq may
// have closed it, and renewed after every handshake step (libpq may reconnect on a new socket).
void Connection::drop_socket() {
    if (!socket_.is_open()) return;
    boost::system::error_code ignored;
    socket_.cancel(ignored);
    socket_.release();
}

void Connection::adopt_socket() {
    drop_socket();
    const int fd = PQsocket(conn_);
    if (fd >= 0) socket_.assign(fd);
}

void Connection::fail(const std::string& what, bool deadline_passed) {
    broken_ = true;
    disarm();
    drop_socket();
    throw DatabaseUnavailable(what, deadline_passed);
}

void Connection::arm(Clock::time_point deadline) {
    timed_out_ = false;
    const auto generation = ++generation_;
    timer_.expires_at(deadline);
    timer_.async_wait([weak = weak_from_this(), generation](boost::system::error_code ec) {
        if (ec) return;
        auto self = weak.lock();
        if (!self || self->generation_ != generation) return;
        self->timed_out_ = true;
        boost::system::error_code ignored;
        self->socket_.cancel(ignored);
    });
}

void Connection::disarm() {
    ++generation_;
    timer_.cancel();
}

asio::awaitable<void> Connection::wait(bool for_write) {
    if (timed_out_) fail("database deadline exceeded", true);
    auto [ec] = co_await socket_.async_wait(for_write ? asio::posix::descriptor_base::wait_write
                                                      : asio::posix::descriptor_base::wait_read,
                                            kUseTuple);
    if (timed_out_) fail("database deadline exceeded", true);
    if (ec) fail("database socket error: " + ec.message());
}

asio::awaitable<std::shared_ptr<Connection>> Connection::open(asio::io_context& io,
                                                              const ConnectionSettings& settings,
                                                              Clock::time_point deadline,
                                                              const HostLookup& lookup) {
    // libpq would resolve host names itself, synchronously, on this thread.
    const Params params = co_await resolve_hosts(io, settings.params, lookup, deadline);
    std::vector<const char*> keywords;
    std::vector<const char*> values;
    for (const auto& [k, v] : params) {
        keywords.push_back(k.c_str());
        values.push_back(v.c_str());
    }
    keywords.push_back(nullptr);
    values.push_back(nullptr);
    pg_conn* raw = PQconnectStartParams(keywords.data(), values.data(), 0);
    if (raw == nullptr) throw DatabaseUnavailable("cannot allocate a database connection");
    std::shared_ptr<Connection> connection(new Connection(io, raw));
    if (PQstatus(raw) == CONNECTION_BAD) connection->fail(connection_error(raw));

    connection->arm(deadline);
    PostgresPollingStatusType status = PGRES_POLLING_WRITING;
    for (;;) {
        connection->adopt_socket();
        if (status == PGRES_POLLING_OK) break;
        if (status == PGRES_POLLING_FAILED) connection->fail(connection_error(raw));
        co_await connection->wait(status == PGRES_POLLING_WRITING);
        status = PQconnectPoll(raw);
    }
    connection->disarm();
    if (PQsetnonblocking(raw, 1) != 0) connection->fail(connection_error(raw));
    sockaddr_storage local{};
    socklen_t length = sizeof local;
    connection->tcp_ =
        ::getsockname(PQsocket(raw), reinterpret_cast<sockaddr*>(&local), &length) == 0 &&
        (local.ss_family == AF_INET || local.ss_family == AF_INET6);
    co_return connection;
}

bool Connection::still_alive() {
    if (broken_ || PQstatus(conn_) != CONNECTION_OK) return false;
    if (PQconsumeInput(conn_) == 0 || PQstatus(conn_) != CONNECTION_OK) {
        broken_ = true;
        drop_socket();
        return false;
    }
    // A server that ended the session (e.g. on restart) sends its goodbye and closes; libpq takes
    // the goodbye as a notice and only notices the close on its next read. Peek for that close.
    char byte = 0;
    if (::recv(PQsocket(conn_), &byte, 1, MSG_PEEK | MSG_DONTWAIT) == 0) {
        broken_ = true;
        drop_socket();
        return false;
    }
    // Drain notices/notifications; an unexpected result here means the session is unusable.
    while (PQisBusy(conn_) == 0) {
        PGresult* stray = PQgetResult(conn_);
        if (stray == nullptr) break;
        PQclear(stray);
        broken_ = true;
    }
    return !broken_;
}

asio::awaitable<void> Connection::flush() {
    for (;;) {
        const int rc = PQflush(conn_);
        if (rc == 0) co_return;
        if (rc < 0) fail(connection_error(conn_));
        co_await wait(true);
    }
}

asio::awaitable<Result> Connection::collect() {
    Result last;
    std::optional<QueryError> error;
    for (;;) {
        while (PQisBusy(conn_) != 0) {
            co_await wait(false);
            if (PQconsumeInput(conn_) == 0) fail(connection_error(conn_));
        }
        PGresult* result = PQgetResult(conn_);
        if (result == nullptr) break;
        const auto status = PQresultStatus(result);
        if (status == PGRES_FATAL_ERROR && !error) {
            const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
            std::string message = PQresultErrorMessage(result);
            while (!message.empty() && message.back() == '\n') message.pop_back();
            error.emplace(state != nullptr ? state : "", message);
        }
        last = Result(result);
    }
    if (PQstatus(conn_) != CONNECTION_OK) fail(connection_error(conn_));
    if (error) {
        // The server cancelled the statement at statement_timeout: the database is too slow, which
        // is an availability problem, not a bug. The connection itself stays usable.
        if (error->sqlstate() == "57014") throw DatabaseUnavailable("statement timeout exceeded");
        if (session_unusable(error->sqlstate())) {
            fail("database session unusable (SQLSTATE " + error->sqlstate() +
                 "): " + error->what());
        }
        throw *error;
    }
    co_return last;
}

asio::awaitable<Result> Connection::run(std::string_view name, std::string_view sql, bool prepare,
                                        std::span<const Param> params, Clock::time_point deadline) {
    if (broken_) throw DatabaseUnavailable("connection is broken");
    arm(deadline);
    const std::string statement_name(name);
    if (prepare && !prepared_.contains(statement_name)) {
        const std::string text(sql);
        if (PQsendPrepare(conn_, statement_name.c_str(), text.c_str(),
                          static_cast<int>(params.size()), nullptr) == 0) {
            fail(connection_error(conn_));
        }
        co_await flush();
        co_await collect();
        prepared_.insert(statement_name);
    }

    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
    int sent = 0;
    if (prepare) {
        sent = PQsendQueryPrepared(conn_, statement_name.c_str(), static_cast<int>(values.size()),
                                   values.data(), nullptr, nullptr, 0);
    } else if (params.empty()) {
        sent = PQsendQuery(conn_, std::string(sql).c_str());
    } else {
        sent = PQsendQueryParams(conn_, std::string(sql).c_str(), static_cast<int>(values.size()),
                                 nullptr, values.data(), nullptr, nullptr, 0);
    }
    if (sent == 0) fail(connection_error(conn_));
    co_await flush();
    Result result = co_await collect();
    disarm();
    co_return result;
}

asio::awaitable<pg_result*> Connection::next_result() {
    while (PQisBusy(conn_) != 0) {
        co_await wait(false);
        if (PQconsumeInput(conn_) == 0) fail(connection_error(conn_));
    }
    co_return PQgetResult(conn_);
}

namespace {
std::exception_ptr error_of(PGresult* result, bool& unusable) {
    const auto status = PQresultStatus(result);
    if (status == PGRES_PIPELINE_ABORTED) {
        return std::make_exception_ptr(QueryError("", "statement skipped after an earlier error"));
    }
    if (status != PGRES_FATAL_ERROR) return nullptr;
    const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
    std::string message = PQresultErrorMessage(result);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    if (state != nullptr && std::string_view(state) == "57014") {
        return std::make_exception_ptr(DatabaseUnavailable("statement timeout exceeded"));
    }
    if (state != nullptr && session_unusable(state)) {
        unusable = true;
        return std::make_exception_ptr(DatabaseUnavailable("database session unusable (SQLSTATE " +
                                                           std::string(state) + "): " + message));
    }
    return std::make_exception_ptr(QueryError(state != nullptr ? state : "", message));
}

// Best effort: should the call fail, the batch only goes out in more packets.
void set_cork(int fd, bool on) {
    const int value = on ? 1 : 0;
    ::setsockopt(fd, IPPROTO_TCP, TCP_CORK, &value, sizeof value);
}
}  // namespace

asio::awaitable<void> Connection::execute_batch(std::span<BatchItem*> items,
                                                Clock::time_point deadline) {
    if (broken_) throw DatabaseUnavailable("connection is broken");
    arm(deadline);
    if (PQenterPipelineMode(conn_) == 0) fail(connection_error(conn_));

    // libpq 15 flushes the socket at every sync point, which would hand the server the batch one
    // statement per packet (one wake-up each). Corked, the kernel sends it as one segment.
    const bool cork = tcp_ && items.size() > 1;
    if (cork) set_cork(PQsocket(conn_), true);

    // Statements prepared by this batch: their Prepare result comes before the query's.
    std::vector<bool> prepares(items.size(), false);
    std::vector<const char*> values;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const Statement& statement = *items[i]->statement;
        const std::string name(statement.name);
        if (!prepared_.contains(name)) {
            const std::string text(statement.sql);
            if (PQsendPrepare(conn_, name.c_str(), text.c_str(),
                              static_cast<int>(items[i]->params.size()), nullptr) == 0) {
                fail(connection_error(conn_));
            }
            prepared_.insert(name);
            prepares[i] = true;
        }
        values.clear();
        for (const auto& p : items[i]->params) values.push_back(p ? p->c_str() : nullptr);
        if (PQsendQueryPrepared(conn_, name.c_str(), static_cast<int>(values.size()), values.data(),
                                nullptr, nullptr, 0) == 0 ||
            PQpipelineSync(conn_) == 0) {
            fail(connection_error(conn_));
        }
    }
    if (cork) set_cork(PQsocket(conn_), false);
    co_await flush();

    bool unusable = false;
    for (std::size_t i = 0; i < items.size(); ++i) {
        BatchItem& item = *items[i];
        if (prepares[i]) {
            PGresult* prepared = co_await next_result();
            if (prepared != nullptr) {
                if (auto error = error_of(prepared, unusable)) {
                    item.error = error;
                    prepared_.erase(std::string(item.statement->name));
                }
                PQclear(prepared);
                co_await next_result();  // the NULL that ends the Prepare
            }
        }
        PGresult* result = co_await next_result();
        if (result == nullptr || PQresultStatus(result) == PGRES_PIPELINE_SYNC) {
            if (result != nullptr) PQclear(result);
            fail("unexpected result order in pipeline");
        }
        if (auto error = error_of(result, unusable); error && !item.error) item.error = error;
        item.result = Result(result);
        co_await next_result();                   // the NULL that ends the query
        PGresult* sync = co_await next_result();  // each item ends with its sync marker
        const bool in_order = sync != nullptr && PQresultStatus(sync) == PGRES_PIPELINE_SYNC;
        if (sync != nullptr) PQclear(sync);
        if (!in_order) fail("unexpected result order in pipeline");
    }
    if (PQexitPipelineMode(conn_) == 0) fail(connection_error(conn_));
    disarm();
    // The items carry their 503; the pool drops the connection when the lease ends.
    if (unusable) {
        broken_ = true;
        drop_socket();
    }
}

asio::awaitable<Result> Connection::execute(const Statement& statement,
                                            std::span<const Param> params,
                                            Clock::time_point deadline) {
    try {
        co_return co_await run(statement.name, statement.sql, true, params, deadline);
    } catch (const QueryError&) {
        disarm();
        throw;
    }
}

asio::awaitable<Result> Connection::simple(std::string_view sql, Clock::time_point deadline) {
    try {
        co_return co_await run({}, sql, false, {}, deadline);
    } catch (const QueryError&) {
        disarm();
        throw;
    }
}

}  // namespace portcullis::db
