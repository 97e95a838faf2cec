// See server.hpp. Reads requests with Beast's parser (wire.hpp: header and body limits), runs the
// pipeline and writes the response itself (one gathered write per response). Deadlines are
// enforced by a sweep, limits at accept and per request.
#include "http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <list>
#include <thread>
#include <vector>

#include "http/connection_limits.hpp"
#include "http/error.hpp"
#include "http/listener.hpp"
#include "http/pipeline.hpp"
#include "http/wire.hpp"
#include "observability/logger.hpp"
#include "observability/metrics.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace portcullis::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
// For the wait of an idle connection, which may last long: the operation gets a block of its own
// size instead of one of the thread's recycled blocks (sized for the largest recent operation).
auto exact_allocation() {
    return asio::as_tuple(asio::bind_allocator(std::allocator<void>(), asio::use_awaitable));
}
constexpr auto kHousekeepingInterval = std::chrono::milliseconds(50);
// Deadlines are enforced by a sweep (as Node's server does), not a timer per operation: no
// timer work on the request path, at the cost of this much lateness.
constexpr int kSweepEveryTicks = 4;
// A connection the server closes first keeps reading (and discarding) for this long, up to
// kLingerBytes, so a client still sending its request sees the answer instead of a reset.
constexpr auto kLingerTime = std::chrono::milliseconds(1000);
constexpr std::size_t kLingerBytes = 256 * 1024;
// Connections over a cap are answered 503 by at most this many coroutines per thread at once;
// beyond that they are closed without a word, so a flood costs no memory.
constexpr std::size_t kMaxRefusing = 64;
// When accept fails for want of descriptors: pause, doubling up to the maximum; the episode is
// over (and logged so) once accept has worked this long.
constexpr auto kAcceptPauseMin = std::chrono::milliseconds(10);
constexpr auto kAcceptPauseMax = std::chrono::milliseconds(1000);
constexpr auto kAcceptCalmAfter = std::chrono::milliseconds(1000);
// Descriptors kept for Postgres, Redis, log files and the like when the connection cap is sized.
constexpr std::size_t kReservedDescriptors = 128;
// The largest soft descriptor limit the server raises itself to (its hard limit permitting).
constexpr rlim_t kDescriptorTarget = 1 << 20;
// Read-ahead beyond one header: bounds what a pipelining client can make the server buffer.
constexpr std::size_t kReadAhead = 8 * 1024;
// The buffer a request starts with (idle connections hold none): most requests fit one read.
constexpr std::size_t kFirstRead = 4096;
using Clock = std::chrono::steady_clock;

// `Date` header text, recomputed at most once per second per thread.
std::string_view cached_http_date() {
    thread_local std::string text;
    thread_local std::int64_t second = -1;
    const auto now = std::chrono::system_clock::now();
    const auto s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    if (s != second) {
        second = s;
        text = util::format_http_date(now);
    }
    return text;
}

// The address as Node shows it: IPv4 clients of the dual-stack socket as `::ffff:a.b.c.d`.
std::string node_style_address(const tcp::endpoint& endpoint) {
    const auto address = endpoint.address();
    if (address.is_v4()) return "::ffff:" + address.to_string();
    return address.to_string();
}

util::IpAddress to_ip(const asio::ip::address& address) {
    util::IpAddress ip;
    if (address.is_v4()) {
        const auto bytes = address.to_v4().to_bytes();
        std::copy(bytes.begin(), bytes.end(), ip.bytes.begin());
    } else {
        ip.v6 = true;
        const auto bytes = address.to_v6().to_bytes();
        std::copy(bytes.begin(), bytes.end(), ip.bytes.begin());
    }
    return ip;
}

bool out_of_descriptors(const boost::system::error_code& error) {
    return error == asio::error::no_descriptors ||
           error == boost::system::errc::too_many_files_open_in_system;
}

// Raises the soft descriptor limit to the hard one (bounded) and returns the soft limit now.
rlim_t raise_descriptor_limit() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
    const rlim_t wanted = std::min(limit.rlim_max, kDescriptorTarget);
    if (limit.rlim_cur < wanted) {
        limit.rlim_cur = wanted;
        if (::setrlimit(RLIMIT_NOFILE, &limit) != 0) ::getrlimit(RLIMIT_NOFILE, &limit);
    }
    return limit.rlim_cur;
}

struct ConnectionState {
    ConnectionState(tcp::socket s, PeerKey key, bool exempt_peer)
        : socket(std::move(s)), peer(key), exempt(exempt_peer), accepted(Clock::now()) {}
    tcp::socket socket;
    PeerKey peer;
    bool exempt;  // a trusted proxy: not counted per address
    Clock::time_point accepted;
    Clock::time_point deadline = Clock::time_point::max();
    bool timed_out = false;
    bool idle = false;       // waiting for a request; shutdown may close it
    bool evictable = false;  // an idle keep-alive connection: the idle cap may close it
    bool evicted = false;    // closed by the idle cap, its slot already given back
    std::list<ConnectionState*>::iterator idle_entry;  // valid while evictable

    void expires_at(Clock::time_point t) {
        deadline = t;
        timed_out = false;
    }
    void expires_never() { deadline = Clock::time_point::max(); }
};

enum class Outcome {
    keep_alive,    // ready for the next request
    close,         // the client is gone or did not want more: close now
    close_linger,  // the server ends it: close after the client had time to read the answer
};
}  // namespace

struct Server::Impl {
    struct Worker {
        // Declared before the context: coroutine frames destroyed with it still unregister.
        std::list<ConnectionState*> connections;
        std::list<ConnectionState*> idle;  // waiting for a request, the longest waiting first
        std::size_t refusing = 0;
        bool closing = false;
        // One thread runs each context and only it touches the sockets on it; other threads only
        // post completions (CPU pool), which keep the scheduler lock.
        asio::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
        std::unique_ptr<tcp::acceptor> acceptor;
        std::thread thread;
    };

    // Families of the server's own metrics (all null without a registry).
    struct Metrics {
        observability::CounterFamily* rejected = nullptr;
        observability::CounterFamily* evicted = nullptr;
        observability::CounterFamily* accept_errors = nullptr;
        observability::CounterFamily* refused_requests = nullptr;
    };

    Impl(ServerOptions o, const Pipeline& p, observability::Logger& l)
        : options(std::move(o)),
          pipeline(p),
          logger(l),
          header_timeout(std::min(options.headers_timeout, options.request_timeout)),
          parse_limits{options.header_limit, options.max_header_fields, options.body_limit},
          limits(effective_max_connections(), options.max_connections_per_ip) {
        register_metrics();
    }

    ServerOptions options;
    const Pipeline& pipeline;
    observability::Logger& logger;
    const std::chrono::milliseconds header_timeout;
    const ParseLimits parse_limits;
    ConnectionLimits limits;
    Metrics metrics;
    std::atomic<int> open_connections{0};  // every socket a coroutine holds, refused ones too
    std::atomic<bool> accept_starved{false};
    std::atomic<Clock::rep> last_accept_failure{0};
    std::uint16_t bound_port = 0;
    // Last: the coroutines destroyed with the workers' contexts still use the members above.
    std::vector<std::unique_ptr<Worker>> workers;

    // The configured cap, within what the descriptor limit allows.
    std::size_t effective_max_connections() const {
        const rlim_t soft = raise_descriptor_limit();
        std::size_t cap = options.max_connections;
        if (soft > kReservedDescriptors * 2) {
            const auto by_descriptors = static_cast<std::size_t>(soft) - kReservedDescriptors;
            cap = cap == 0 ? by_descriptors : std::min(cap, by_descriptors);
        }
        return cap;
    }

    void register_metrics() {
        if (options.metrics == nullptr) return;
        auto& registry = *options.metrics;
        metrics.rejected = &registry.counter(
            "portcullis_http_connections_rejected_total",
            "Connections answered 503 OVERLOADED and closed at accept, by the cap they met",
            {"reason"});
        metrics.rejected->declare({"max_connections"});
        metrics.rejected->declare({"max_connections_per_ip"});
        metrics.evicted = &registry.counter(
            "portcullis_http_idle_connections_evicted_total",
            "Idle keep-alive connections closed to make room (connection cap or descriptors)");
        metrics.accept_errors = &registry.counter(
            "portcullis_http_accept_errors_total",
            "Failed accepts (the server pauses accepting, then retries)", {"reason"});
        metrics.accept_errors->declare({"descriptors"});
        metrics.accept_errors->declare({"other"});
        metrics.refused_requests = &registry.counter(
            "portcullis_http_requests_refused_total",
            "Requests answered by the HTTP layer before the pipeline, then closed", {"reason"});
        for (const char* reason : {"bad_request", "request_timeout", "headers_too_large"}) {
            metrics.refused_requests->declare({reason});
        }
        registry.gauge_callback("portcullis_http_connections_open",
                                "Client connections open (admitted by the connection caps)",
                                [this] { return static_cast<double>(limits.open()); });
    }

    static void count(observability::CounterFamily* family,
                      std::initializer_list<std::string_view> labels = {}) {
        if (family != nullptr) family->local(labels).inc();
    }

    std::unique_ptr<tcp::acceptor> make_acceptor(asio::io_context& ioc, std::uint16_t port) {
        auto acceptor = std::make_unique<tcp::acceptor>(ioc);
        const tcp::endpoint endpoint(asio::ip::address_v6::any(), port);
        acceptor->open(endpoint.protocol());
        acceptor->set_option(asio::ip::v6_only(false));
        acceptor->set_option(asio::socket_base::reuse_address(true));
        const int one = 1;
        if (::setsockopt(acceptor->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) !=
            0) {
            throw std::system_error(errno, std::generic_category(), "SO_REUSEPORT");
        }
        boost::system::error_code ec;
        acceptor->bind(endpoint, ec);
        if (ec == asio::error::address_in_use) {
            throw std::system_error(
                EADDRINUSE, std::generic_category(),
                "listen EADDRINUSE: address already in use :::" + std::to_string(port));
        }
        if (ec) throw boost::system::system_error(ec, "bind");
        acceptor->listen(asio::socket_base::max_listen_connections);
        return acceptor;
    }

    // ---- accepting ----

    asio::awaitable<void> accept_loop(Worker& worker) {
        auto pause = kAcceptPauseMin;
        for (;;) {
            auto [ec, socket] = co_await worker.acceptor->async_accept(kUseTuple);
            if (worker.closing || !worker.acceptor->is_open()) co_return;
            if (ec == asio::error::connection_aborted) continue;  // the client left first
            if (ec) {
                on_accept_failure(worker, ec);
                asio::steady_timer timer(worker.ioc, pause);
                co_await timer.async_wait(kUseTuple);
                pause = std::min(pause * 2, kAcceptPauseMax);
                continue;
            }
            pause = kAcceptPauseMin;
            admit(worker, std::move(socket));
        }
    }

    // Out of descriptors (or kernel memory): count it, log once per episode, and close the
    // longest-idle keep-alive connection so the next accept has a descriptor.
    void on_accept_failure(Worker& worker, const boost::system::error_code& ec) {
        const bool descriptors = out_of_descriptors(ec);
        count(metrics.accept_errors, {descriptors ? "descriptors" : "other"});
        last_accept_failure.store(Clock::now().time_since_epoch().count());
        if (!accept_starved.exchange(true)) {
            logger.log(observability::Level::warn,
                       descriptors ? "Out of file descriptors: pausing accept"
                                   : "Accept failed: pausing accept",
                       observability::LogFields()
                           .num("openConnections", static_cast<std::int64_t>(limits.open()))
                           .error("Error", ec.message()));
        }
        evict_oldest_idle(worker);
    }

    // Called by the housekeeping tick: the episode ends once accept has kept working a while.
    void note_accept_recovery() {
        if (!accept_starved.load()) return;
        const Clock::time_point last(Clock::duration(last_accept_failure.load()));
        if (Clock::now() - last < kAcceptCalmAfter) return;
        if (accept_starved.exchange(false)) {
            logger.log(observability::Level::info, "Accepting connections again");
        }
    }

    void admit(Worker& worker, tcp::socket socket) {
        beast::error_code ec;
        const auto endpoint = socket.remote_endpoint(ec);
        if (ec) return;  // already gone; the socket closes here
        const auto address = to_ip(endpoint.address());
        const PeerKey key = peer_key(address);
        const bool exempt = trusts_peer(options.trust_proxy, address);
        auto admission = limits.admit(key, exempt);
        if (admission == Admission::total_full && evict_oldest_idle(worker)) {
            admission = limits.admit(key, exempt);
        }
        if (admission != Admission::admitted) {
            count(metrics.rejected,
                  {admission == Admission::total_full ? "max_connections"
                                                      : "max_connections_per_ip"});
            refuse(worker, std::move(socket));
            return;
        }
        asio::co_spawn(worker.ioc, run_connection(worker, std::move(socket), key, exempt),
                       asio::detached);
    }

    // Closes the connection that has waited longest for a request on this thread; its slot is
    // free at once. False when none is idle.
    bool evict_oldest_idle(Worker& worker) {
        if (worker.idle.empty()) return false;
        ConnectionState& victim = *worker.idle.front();
        leave_idle(worker, victim);
        victim.evicted = true;
        limits.release(victim.peer, victim.exempt);
        beast::error_code ignored;
        victim.socket.cancel(ignored);
        count(metrics.evicted);
        return true;
    }

    void refuse(Worker& worker, tcp::socket socket) {
        if (worker.refusing >= kMaxRefusing) return;  // closed by the socket's destructor
        asio::co_spawn(worker.ioc, answer_overloaded(worker, std::move(socket)), asio::detached);
    }

    // A connection over a cap: 503 OVERLOADED at once, then closed.
    asio::awaitable<void> answer_overloaded(Worker& worker, tcp::socket socket) {
        ++worker.refusing;
        ConnectionState connection(std::move(socket), {}, true);
        const Registration registration(*this, worker, connection);
        connection.expires_at(Clock::now() + kLingerTime);
        const auto& error = errors::kOverloaded;
        const Response response = Response::error(error.status, error.message, error.code);
        const auto wire = serialize_response(response, false, false, options.keepalive_timeout,
                                             cached_http_date());
        const std::array buffers{asio::buffer(wire.head), asio::buffer(response.body)};
        auto [ec, n] = co_await asio::async_write(connection.socket, buffers, kUseTuple);
        if (!ec) co_await linger_close(connection);
        --worker.refusing;
    }

    // ---- deadlines ----

    // Flushes this thread's log buffer and enforces connection deadlines.
    asio::awaitable<void> housekeeping_loop(Worker& worker) {
        asio::steady_timer timer(worker.ioc);
        for (int tick = 0;; ++tick) {
            timer.expires_after(kHousekeepingInterval);
            auto [ec] = co_await timer.async_wait(kUseTuple);
            logger.flush_thread_buffer();
            if (ec) co_return;
            if (tick % kSweepEveryTicks == 0) {
                sweep_deadlines(worker);
                note_accept_recovery();
            }
        }
    }

    static void sweep_deadlines(Worker& worker) {
        const auto now = Clock::now();
        for (auto* connection : worker.connections) {
            if (connection->deadline <= now) {
                connection->timed_out = true;
                connection->deadline = Clock::time_point::max();
                beast::error_code ignored;
                connection->socket.cancel(ignored);
            }
        }
    }

    // ---- one connection ----

    // Keeps a connection in its thread's list (for the sweep and shutdown) while it lives.
    struct Registration {
        Registration(Impl& impl, Worker& worker, ConnectionState& connection)
            : impl_(impl), worker_(worker) {
            ++impl_.open_connections;
            worker_.connections.push_front(&connection);
            entry_ = worker_.connections.begin();
        }
        ~Registration() {
            worker_.connections.erase(entry_);
            --impl_.open_connections;
        }
        Registration(const Registration&) = delete;
        Registration& operator=(const Registration&) = delete;

    private:
        Impl& impl_;
        Worker& worker_;
        std::list<ConnectionState*>::iterator entry_;
    };

    // Only keep-alive connections (one request served) may be evicted: a fresh connection's
    // first request may be on its way, and its wait is bounded by the headers timeout anyway.
    static void enter_idle(Worker& worker, ConnectionState& connection, bool keep_alive) {
        connection.idle = true;
        if (!keep_alive) return;
        connection.evictable = true;
        worker.idle.push_back(&connection);
        connection.idle_entry = std::prev(worker.idle.end());
    }

    static void leave_idle(Worker& worker, ConnectionState& connection) {
        connection.idle = false;
        if (!connection.evictable) return;
        worker.idle.erase(connection.idle_entry);
        connection.evictable = false;
    }

    asio::awaitable<void> run_connection(Worker& worker, tcp::socket socket, PeerKey peer,
                                         bool exempt) {
        ConnectionState connection(std::move(socket), peer, exempt);
        const Registration registration(*this, worker, connection);
        Outcome outcome = Outcome::close;
        try {
            outcome = co_await serve(worker, connection);
        } catch (const std::exception& e) {
            logger.log(observability::Level::error, "Connection error",
                       observability::LogFields().error("Error", e.what()));
        }
        leave_idle(worker, connection);
        if (outcome == Outcome::close_linger) {
            co_await linger_close(connection);
        } else {
            beast::error_code ignored;
            connection.socket.shutdown(tcp::socket::shutdown_send, ignored);
            connection.socket.close(ignored);
        }
        if (!connection.evicted) limits.release(connection.peer, connection.exempt);
    }

    // Ends our side, then reads and drops what the client still sends until it closes, the
    // linger time passes or kLingerBytes arrived.
    static asio::awaitable<void> linger_close(ConnectionState& connection) {
        static thread_local std::array<char, 4096> sink;  // shared: what is read is dropped
        beast::error_code ignored;
        connection.socket.shutdown(tcp::socket::shutdown_send, ignored);
        connection.expires_at(std::min(connection.deadline, Clock::now() + kLingerTime));
        for (std::size_t total = 0; total < kLingerBytes;) {
            auto [ec, n] =
                co_await connection.socket.async_read_some(asio::buffer(sink), kUseTuple);
            if (ec) break;
            total += n;
        }
        connection.socket.close(ignored);
    }

    asio::awaitable<Outcome> serve(Worker& worker, ConnectionState& connection) {
        beast::error_code endpoint_ec;
        const auto endpoint = connection.socket.remote_endpoint(endpoint_ec);
        if (endpoint_ec) co_return Outcome::close;
        connection.socket.set_option(tcp::no_delay(true), endpoint_ec);
        const Peer peer{node_style_address(endpoint), endpoint.port()};

        beast::flat_buffer buffer(options.header_limit + kReadAhead);
        // When the wait for the next request began: accept, then the end of each response.
        // Header and request deadlines count from here, never from a request's first byte.
        Clock::time_point waiting_since = connection.accepted;
        for (std::size_t served = 0;; ++served) {
            if (buffer.size() == 0) {
                // Idle: no buffer held, only a readiness wait (in this frame: an idle connection
                // costs one coroutine frame less). Shutdown and the idle cap may end it.
                release(buffer);
                if (worker.closing) co_return Outcome::close;
                enter_idle(worker, connection, served > 0);
                connection.expires_at(idle_deadline(waiting_since, served == 0));
                auto [ec] = co_await connection.socket.async_wait(tcp::socket::wait_read,
                                                                  exact_allocation());
                leave_idle(worker, connection);
                if (ec || connection.evicted) co_return Outcome::close;
            }
            const Outcome outcome =
                co_await serve_one(worker, connection, buffer, peer, waiting_since, served);
            if (outcome != Outcome::keep_alive) co_return outcome;
            waiting_since = Clock::now();
        }
    }

    // An idle connection holds no buffer: only its socket and this wait.
    static void release(beast::flat_buffer& buffer) {
        buffer.clear();
        buffer.shrink_to_fit();
    }

    // The first request's wait counts toward its headers deadline; later ones are keep-alive
    // waits, which end sooner.
    Clock::time_point idle_deadline(Clock::time_point waiting_since, bool first) const {
        return waiting_since +
               (first ? header_timeout : std::min(options.keepalive_timeout, header_timeout));
    }

    // Reads, handles and answers one request.
    asio::awaitable<Outcome> serve_one(Worker& worker, ConnectionState& connection,
                                       beast::flat_buffer& buffer, const Peer& peer,
                                       Clock::time_point waiting_since, std::size_t served) {
        const auto start = Clock::now();
        connection.expires_at(waiting_since + header_timeout);
        if (buffer.capacity() == 0) buffer.reserve(kFirstRead);

        RequestParser parser;
        apply_limits(parser, parse_limits);
        auto [header_ec, header_bytes] =
            co_await bhttp::async_read_header(connection.socket, buffer, parser, kUseTuple);
        bool body_too_large = header_ec == bhttp::error::body_limit;
        bool body_incomplete = false;
        if (header_ec && !body_too_large) co_return co_await reject_read(connection, header_ec);
        if (too_many_fields(parser, parse_limits)) {
            co_return co_await reject(connection, Rejection::headers_too_large);
        }

        if (!body_too_large && !parser.is_done()) {
            if (util::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
                auto [ec, n] = co_await asio::async_write(
                    connection.socket,
                    asio::buffer(std::string_view("HTTP/1.1 100 Continue\r\n\r\n")), kUseTuple);
                if (ec) co_return Outcome::close;
            }
            connection.expires_at(waiting_since + options.request_timeout);
            auto [body_ec, body_bytes] =
                co_await bhttp::async_read(connection.socket, buffer, parser, kUseTuple);
            if (body_ec == bhttp::error::body_limit) {
                body_too_large = true;
            } else if (body_ec == bhttp::error::partial_message && !connection.timed_out) {
                // The client half-closed early: still answered (contract 3.2), then closed.
                body_incomplete = true;
            } else if (body_ec) {
                co_return co_await reject_read(connection, body_ec);
            }
        }
        connection.expires_never();

        const bool client_keep_alive = parser.get().keep_alive();
        Request request = to_request(parser, peer, options.trust_proxy, start);
        request.body_too_large = body_too_large;
        request.body_incomplete = body_incomplete;
        request.socket_fd = connection.socket.native_handle();
        Response response = co_await pipeline.run(request);

        // An unread body leaves the stream unusable; shutdown closes after this response.
        const bool last_allowed = options.max_requests_per_connection != 0 &&
                                  served + 1 >= options.max_requests_per_connection;
        const bool keep_alive = client_keep_alive && !body_too_large && !body_incomplete &&
                                !worker.closing && !last_allowed;
        if (!co_await write_response(connection, response, request.is_head(), keep_alive)) {
            co_return Outcome::close;
        }
        if (keep_alive) co_return Outcome::keep_alive;
        // The server ends a connection the client meant to keep (or left a body unread): the
        // client may have more on the way, and should still read this answer.
        const bool client_may_send = body_too_large || (client_keep_alive && !body_incomplete);
        co_return client_may_send ? Outcome::close_linger : Outcome::close;
    }

    // A read that failed: answer it when there is someone to answer.
    asio::awaitable<Outcome> reject_read(ConnectionState& connection,
                                         const boost::system::error_code& error) {
        const auto rejection = classify_read_error(error, connection.timed_out);
        if (!rejection) co_return Outcome::close;
        co_return co_await reject(connection, *rejection);
    }

    // Answers a request that never reached the pipeline; the connection then closes.
    asio::awaitable<Outcome> reject(ConnectionState& connection, Rejection rejection) {
        count(metrics.refused_requests,
              {rejection == Rejection::request_timeout     ? "request_timeout"
               : rejection == Rejection::headers_too_large ? "headers_too_large"
                                                           : "bad_request"});
        co_await write_response(connection, rejection_response(rejection), false, false);
        co_return Outcome::close_linger;
    }

    // Serializes `response` and writes it. False when the client is gone.
    asio::awaitable<bool> write_response(ConnectionState& connection, const Response& response,
                                         bool head, bool keep_alive) {
        const WireResponse wire = serialize_response(response, head, keep_alive,
                                                     options.keepalive_timeout, cached_http_date());
        std::vector<asio::const_buffer> buffers;
        buffers.reserve(4);
        buffers.push_back(asio::buffer(wire.head));
        if (!wire.chunk_prefix.empty()) buffers.push_back(asio::buffer(wire.chunk_prefix));
        if (wire.send_body) buffers.push_back(asio::buffer(response.body));
        if (!wire.trailer.empty()) buffers.push_back(asio::buffer(wire.trailer));
        connection.expires_at(Clock::now() + options.request_timeout);
        auto [ec, n] = co_await asio::async_write(connection.socket, buffers, kUseTuple);
        connection.expires_never();
        co_return !ec;
    }

    void close_idle(Worker& worker) {
        worker.closing = true;
        if (worker.acceptor) {
            beast::error_code ignored;
            worker.acceptor->close(ignored);
        }
        for (auto* connection : worker.connections) {
            beast::error_code ignored;
            if (connection->idle) connection->socket.cancel(ignored);
        }
    }
};

Server::Server(ServerOptions options, const Pipeline& pipeline, observability::Logger& logger)
    : impl_(std::make_unique<Impl>(std::move(options), pipeline, logger)) {}

Server::~Server() {
    stop();
}

void Server::start() {
    int threads = impl_->options.threads;
    if (threads <= 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));

    // Bind every listener first so a bind failure surfaces before any thread runs. With PORT=0
    // the first listener picks the port and the others join it.
    std::uint16_t port = impl_->options.port;
    std::vector<int> fds;
    for (int i = 0; i < threads; ++i) {
        auto worker = std::make_unique<Impl::Worker>();
        worker->acceptor = impl_->make_acceptor(worker->ioc, port);
        port = worker->acceptor->local_endpoint().port();
        fds.push_back(worker->acceptor->native_handle());
        impl_->workers.push_back(std::move(worker));
    }
    impl_->bound_port = port;
    if (ensure_sole_listener(port, fds) == ListenerCheck::unavailable) {
        impl_->logger.log(observability::Level::warn,
                          "Cannot tell whether another process listens on the port too "
                          "(/proc/net unreadable)",
                          observability::LogFields().num("port", static_cast<std::int64_t>(port)));
    }
    impl_->logger.log(
        observability::Level::info, "Connection limits",
        observability::LogFields()
            .num("maxConnections", static_cast<std::int64_t>(impl_->limits.max_total()))
            .num("maxConnectionsPerIp",
                 static_cast<std::int64_t>(impl_->options.max_connections_per_ip))
            .num("maxHeaderBytes", static_cast<std::int64_t>(impl_->options.header_limit))
            .num("maxHeaderFields", static_cast<std::int64_t>(impl_->options.max_header_fields)));

    for (auto& w : impl_->workers) {
        Impl::Worker& worker = *w;
        asio::co_spawn(worker.ioc, impl_->accept_loop(worker), asio::detached);
        asio::co_spawn(worker.ioc, impl_->housekeeping_loop(worker), asio::detached);
        worker.thread = std::thread([this, &worker] {
            if (impl_->options.on_thread_start) impl_->options.on_thread_start(worker.ioc);
            impl_->logger.buffer_this_thread();
            worker.ioc.run();
            impl_->logger.flush_thread_buffer();
        });
    }
}

std::uint16_t Server::port() const {
    return impl_->bound_port;
}

void Server::stop_accepting() {
    for (auto& w : impl_->workers) {
        Impl::Worker& worker = *w;
        asio::post(worker.ioc, [this, &worker] { impl_->close_idle(worker); });
    }
}

bool Server::wait_until_idle(std::chrono::steady_clock::time_point deadline) {
    while (impl_->open_connections.load() > 0) {
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return true;
}

void Server::stop() {
    for (auto& w : impl_->workers) w->ioc.stop();
    for (auto& w : impl_->workers) {
        if (w->thread.joinable()) w->thread.join();
    }
}

}  // namespace portcullis::http
