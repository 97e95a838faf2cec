// See server.hpp. Reads requests with Beast's parser (header and body limits, timeouts), runs the
// pipeline and writes the response itself (one gathered write per response).
#include "http/server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include <linux/filter.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <list>
#include <thread>
#include <vector>

#include "http/pipeline.hpp"
#include "observability/logger.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace portcullis::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;

namespace {
constexpr auto kUseTuple = asio::as_tuple(asio::use_awaitable);
constexpr auto kHousekeepingInterval = std::chrono::milliseconds(50);
// Deadlines are enforced by a sweep (as Node's server does), not a timer per operation: no
// timer work on the request path, at the cost of this much lateness.
constexpr int kSweepEveryTicks = 4;
// While draining, how long a keep-alive connection may sit idle between requests before it is
// closed. A client that is busy on it sends its next request well within this and gets
// `Connection: close` on the answer (nothing lost); closing at once would race a request already
// on the wire, which the client sees as a connection closed without a response.
constexpr auto kDrainingIdleTimeout = std::chrono::milliseconds(1000);
// How long handshakes already under way get to complete once new ones are refused, before the
// listener closes: a few round trips of any network a client sits behind.
constexpr auto kHandshakeGrace = std::chrono::milliseconds(100);
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

void append_number(std::string& out, std::size_t value) {
    char buf[24];
    const auto r = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, r.ptr);
}

// The address as Node shows it: IPv4 clients of the dual-stack socket as `::ffff:a.b.c.d`.
std::string node_style_address(const tcp::endpoint& endpoint) {
    const auto address = endpoint.address();
    if (address.is_v4()) return "::ffff:" + address.to_string();
    return address.to_string();
}

struct ConnectionState {
    explicit ConnectionState(tcp::socket s) : socket(std::move(s)) {}
    tcp::socket socket;
    Clock::time_point deadline = Clock::time_point::max();
    bool timed_out = false;
    bool idle = true;
    bool fresh = true;  // accepted, first request not read yet: the client is about to send it

    void expires_after(std::chrono::milliseconds d) {
        deadline = Clock::now() + d;
        timed_out = false;
    }
    void expires_never() { deadline = Clock::time_point::max(); }
};

}  // namespace

struct Server::Impl {
    struct Worker {
        // One thread runs each context and only it touches the sockets on it; other threads only
        // post completions (CPU pool), which keep the scheduler lock.
        asio::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
        std::unique_ptr<tcp::acceptor> acceptor;
        std::thread thread;
        std::list<ConnectionState*> connections;
        bool draining = false;  // shutdown began: answer with `Connection: close`
        bool closing = false;   // listener closed: idle connections end now
    };

    Impl(ServerOptions o, const Pipeline& p, observability::Logger& l)
        : options(std::move(o)), pipeline(p), logger(l) {}

    ServerOptions options;
    const Pipeline& pipeline;
    observability::Logger& logger;
    std::vector<std::unique_ptr<Worker>> workers;
    std::atomic<int> open_connections{0};
    std::atomic<int> open_listeners{0};
    std::uint16_t bound_port = 0;

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
        acceptor->bind(endpoint);
        acceptor->listen(asio::socket_base::max_listen_connections);
        return acceptor;
    }

    asio::awaitable<void> accept_loop(Worker& worker) {
        for (;;) {
            auto [ec, socket] = co_await worker.acceptor->async_accept(kUseTuple);
            if (worker.closing || !worker.acceptor->is_open()) co_return;
            if (ec) {
                // Out of descriptors and similar: back off briefly instead of spinning.
                asio::steady_timer pause(worker.ioc, std::chrono::milliseconds(50));
                co_await pause.async_wait(kUseTuple);
                continue;
            }
            asio::co_spawn(worker.ioc, run_connection(worker, std::move(socket)), asio::detached);
        }
    }

    // Flushes this thread's log buffer and enforces connection deadlines.
    asio::awaitable<void> housekeeping_loop(Worker& worker) {
        asio::steady_timer timer(worker.ioc);
        for (int tick = 0;; ++tick) {
            timer.expires_after(kHousekeepingInterval);
            auto [ec] = co_await timer.async_wait(kUseTuple);
            logger.flush_thread_buffer();
            if (ec) co_return;
            if (tick % kSweepEveryTicks == 0) sweep_deadlines(worker);
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

    // Serializes `response` and writes it. False when the client is gone.
    asio::awaitable<bool> write_response(ConnectionState& connection, const Response& response,
                                         bool head, bool keep_alive) {
        std::string head_text;
        head_text.reserve(1024);
        head_text += "HTTP/1.1 ";
        append_number(head_text, static_cast<std::size_t>(response.status));
        head_text += ' ';
        head_text += reason_phrase(response.status);
        head_text += "\r\n";
        for (const auto& entry : response.headers.entries()) {
            head_text += entry.name;
            head_text += ": ";
            head_text += entry.value();
            head_text += "\r\n";
        }
        const bool bodiless_status = response.status == 204 || response.status == 304;
        if (response.chunked) {
            head_text += "Transfer-Encoding: chunked\r\n";
        } else if (!bodiless_status && !response.headers.contains("Content-Length")) {
            head_text += "Content-Length: ";
            append_number(head_text, response.body.size());
            head_text += "\r\n";
        }
        head_text += "Date: ";
        head_text += cached_http_date();
        head_text += "\r\n";
        if (keep_alive) {
            head_text += "Connection: keep-alive\r\nKeep-Alive: timeout=";
            append_number(head_text,
                          static_cast<std::size_t>(options.keepalive_timeout.count() / 1000));
            head_text += "\r\n\r\n";
        } else {
            head_text += "Connection: close\r\n\r\n";
        }

        const bool send_body = !head && !bodiless_status && !response.body.empty();
        std::string chunk_prefix;
        std::vector<asio::const_buffer> buffers;
        buffers.reserve(4);
        buffers.push_back(asio::buffer(head_text));
        if (send_body && response.chunked) {
            char hex[20];
            const auto r = std::to_chars(hex, hex + sizeof hex, response.body.size(), 16);
            chunk_prefix.assign(hex, r.ptr);
            chunk_prefix += "\r\n";
            buffers.push_back(asio::buffer(chunk_prefix));
            buffers.push_back(asio::buffer(response.body));
            buffers.push_back(asio::buffer(std::string_view("\r\n0\r\n\r\n")));
        } else if (response.chunked && !head) {
            buffers.push_back(asio::buffer(std::string_view("0\r\n\r\n")));
        } else if (send_body) {
            buffers.push_back(asio::buffer(response.body));
        }
        connection.expires_after(options.request_timeout);
        auto [ec, n] = co_await asio::async_write(connection.socket, buffers, kUseTuple);
        connection.expires_never();
        co_return !ec;
    }

    Request make_request(bhttp::request_parser<bhttp::string_body>& parser,
                         const std::string& remote_address, std::uint16_t remote_port,
                         std::chrono::steady_clock::time_point start) {
        auto& message = parser.get();
        Request request;
        request.start = start;
        request.method = message.method_string();
        request.target = message.target();
        const auto question = request.target.find('?');
        request.path = request.target.substr(0, question);
        if (question != std::string_view::npos) request.query = request.target.substr(question + 1);
        request.version = message.version();
        for (const auto& field : message) request.headers.add(field.name_string(), field.value());
        request.body = std::move(message.body());
        request.remote_address = remote_address;
        request.remote_port = remote_port;
        request.client_ip = util::derive_client_ip(options.trust_proxy, remote_address,
                                                   request.headers.joined("x-forwarded-for"));
        return request;
    }

    asio::awaitable<void> run_connection(Worker& worker, tcp::socket socket) {
        ++open_connections;
        ConnectionState connection(std::move(socket));
        worker.connections.push_front(&connection);
        const auto registration = worker.connections.begin();

        try {
            co_await serve(worker, connection);
        } catch (const std::exception& e) {
            logger.log(observability::Level::error, "Connection error",
                       observability::LogFields().error("Error", e.what()));
        }
        beast::error_code ignored;
        connection.socket.shutdown(tcp::socket::shutdown_send, ignored);
        connection.socket.close(ignored);
        worker.connections.erase(registration);
        --open_connections;
    }

    // Answers a request that never reached the pipeline, then the connection closes.
    asio::awaitable<void> reject(ConnectionState& connection, int status,
                                 std::string_view message) {
        co_await write_response(connection, Response::error(status, message), false, false);
    }

    asio::awaitable<void> serve(Worker& worker, ConnectionState& connection) {
        beast::error_code endpoint_ec;
        const auto peer = connection.socket.remote_endpoint(endpoint_ec);
        if (endpoint_ec) co_return;
        connection.socket.set_option(tcp::no_delay(true), endpoint_ec);
        const std::string remote_address = node_style_address(peer);
        const std::uint16_t remote_port = peer.port();
        const auto header_timeout = std::min(options.headers_timeout, options.request_timeout);

        beast::flat_buffer buffer;
        bool first = true;
        for (;;) {
            if (buffer.size() == 0) {
                // Idle: waiting for the next request. Shutdown cancels connections in this state.
                connection.idle = true;
                if (worker.closing && !first) co_return;
                connection.expires_after(idle_timeout(worker, first, header_timeout));
                auto [ec, n] =
                    co_await connection.socket.async_read_some(buffer.prepare(8192), kUseTuple);
                if (ec) co_return;  // closed, idle timeout or shutdown: close silently
                buffer.commit(n);
            }
            connection.idle = false;
            connection.fresh = false;
            const auto start = Clock::now();
            connection.deadline = start + header_timeout;

            bhttp::request_parser<bhttp::string_body> parser;
            parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
            parser.body_limit(options.body_limit);
            auto [header_ec, header_bytes] =
                co_await bhttp::async_read_header(connection.socket, buffer, parser, kUseTuple);
            bool body_too_large = header_ec == bhttp::error::body_limit;
            bool body_incomplete = false;
            if (header_ec && !body_too_large) {
                if (connection.timed_out) {
                    co_await reject(connection, 408, "Request Timeout");
                } else if (header_ec == bhttp::error::header_limit) {
                    co_await reject(connection, 431, "Request Header Fields Too Large");
                } else if (header_ec != bhttp::error::end_of_stream &&
                           header_ec != asio::error::eof &&
                           header_ec != asio::error::connection_reset &&
                           header_ec != asio::error::operation_aborted) {
                    co_await reject(connection, 400, "Bad Request");
                }
                co_return;
            }

            if (!body_too_large && !parser.is_done()) {
                if (util::iequals(parser.get()[bhttp::field::expect], "100-continue")) {
                    auto [ec, n] = co_await asio::async_write(
                        connection.socket,
                        asio::buffer(std::string_view("HTTP/1.1 100 Continue\r\n\r\n")), kUseTuple);
                    if (ec) co_return;
                }
                connection.deadline = start + options.request_timeout;
                auto [body_ec, body_bytes] =
                    co_await bhttp::async_read(connection.socket, buffer, parser, kUseTuple);
                if (body_ec == bhttp::error::body_limit) {
                    body_too_large = true;
                } else if (body_ec == bhttp::error::partial_message && !connection.timed_out) {
                    // The client half-closed early: still answered (contract 3.2), then closed.
                    body_incomplete = true;
                } else if (body_ec) {
                    if (connection.timed_out) {
                        co_await reject(connection, 408, "Request Timeout");
                    } else if (body_ec != bhttp::error::partial_message &&
                               body_ec != asio::error::eof &&
                               body_ec != asio::error::connection_reset &&
                               body_ec != asio::error::operation_aborted) {
                        co_await reject(connection, 400, "Bad Request");
                    }
                    co_return;
                }
            }
            connection.expires_never();

            const bool client_keep_alive = parser.get().keep_alive();
            Request request = make_request(parser, remote_address, remote_port, start);
            request.body_too_large = body_too_large;
            request.body_incomplete = body_incomplete;
            request.socket_fd = connection.socket.native_handle();
            Response response = co_await pipeline.run(request);

            // An unread body leaves the stream unusable; shutdown closes after this response.
            const bool keep_alive = client_keep_alive && !body_too_large && !body_incomplete &&
                                    !worker.draining && !worker.closing;
            const bool written =
                co_await write_response(connection, response, request.is_head(), keep_alive);
            if (!written || !keep_alive) co_return;
            first = false;
        }
    }

    std::chrono::milliseconds idle_timeout(const Worker& worker, bool first,
                                           std::chrono::milliseconds header_timeout) const {
        const auto timeout = first ? header_timeout : options.keepalive_timeout;
        return worker.draining ? std::min(timeout, kDrainingIdleTimeout) : timeout;
    }

    // Connections idle right now get the draining idle timeout from now on.
    void start_draining(Worker& worker) {
        worker.draining = true;
        const auto limit = Clock::now() + kDrainingIdleTimeout;
        for (auto* connection : worker.connections) {
            if (connection->idle) connection->deadline = std::min(connection->deadline, limit);
        }
    }

    // Stops the listener without resetting a connection on its way (decisions E.6): first new
    // handshakes are refused (see refuse_new_handshakes), then, once the ones in progress have had
    // time to complete, the backlog is accepted and the listener closed.
    asio::awaitable<void> stop_listening(Worker& worker) {
        if (worker.acceptor && worker.acceptor->is_open()) {
            refuse_new_handshakes(*worker.acceptor);
            asio::steady_timer grace(worker.ioc, kHandshakeGrace);
            co_await grace.async_wait(kUseTuple);
        }
        close_listener(worker);
    }

    // A socket filter on the listener that drops SYNs, and only SYNs: a handshake in progress
    // still completes (its ACK passes) and is accepted, while a new client's SYN goes unanswered
    // and is retried by its kernel, by when the port is closed (refused: nothing was sent) or
    // served by a new process. The filter sees the TCP header at offset 0 (flags at byte 13).
    static void refuse_new_handshakes(tcp::acceptor& acceptor) {
        static sock_filter drop_syn[] = {
            {BPF_LD | BPF_B | BPF_ABS, 0, 0, 13},      // A = TCP flags
            {BPF_JMP | BPF_JSET | BPF_K, 0, 1, 0x02},  // SYN set? (a listener never gets SYN-ACK)
            {BPF_RET | BPF_K, 0, 0, 0},                // drop
            {BPF_RET | BPF_K, 0, 0, 0xffffffffu},      // keep
        };
        const sock_fprog program{static_cast<unsigned short>(std::size(drop_syn)), drop_syn};
        ::setsockopt(acceptor.native_handle(), SOL_SOCKET, SO_ATTACH_FILTER, &program,
                     sizeof program);
    }

    void close_listener(Worker& worker) {
        worker.closing = true;
        if (worker.acceptor && worker.acceptor->is_open()) {
            accept_backlog(worker);
            beast::error_code ignored;
            worker.acceptor->close(ignored);
        }
        const auto limit = Clock::now() + kDrainingIdleTimeout;
        for (auto* connection : worker.connections) {
            beast::error_code ignored;
            // A fresh connection is a request on its way: it gets a moment to arrive.
            if (connection->fresh) {
                connection->deadline = std::min(connection->deadline, limit);
            } else if (connection->idle) {
                connection->socket.cancel(ignored);
            }
        }
        --open_listeners;
    }

    // Closing a listener resets the connections the kernel completed but nobody accepted yet:
    // take them first, so that they are answered (with `Connection: close`) like the others.
    void accept_backlog(Worker& worker) {
        beast::error_code ec;
        worker.acceptor->non_blocking(true, ec);
        if (ec) return;
        for (;;) {
            tcp::socket socket(worker.ioc);
            worker.acceptor->accept(socket, ec);
            if (ec) return;
            asio::co_spawn(worker.ioc, run_connection(worker, std::move(socket)), asio::detached);
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
    for (int i = 0; i < threads; ++i) {
        auto worker = std::make_unique<Impl::Worker>();
        worker->acceptor = impl_->make_acceptor(worker->ioc, port);
        port = worker->acceptor->local_endpoint().port();
        impl_->workers.push_back(std::move(worker));
        ++impl_->open_listeners;
    }
    impl_->bound_port = port;

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

void Server::begin_draining() {
    for (auto& w : impl_->workers) {
        Impl::Worker& worker = *w;
        asio::post(worker.ioc, [this, &worker] { impl_->start_draining(worker); });
    }
}

void Server::stop_accepting() {
    for (auto& w : impl_->workers) {
        Impl::Worker& worker = *w;
        asio::co_spawn(worker.ioc, impl_->stop_listening(worker), asio::detached);
    }
}

bool Server::wait_until_idle(std::chrono::steady_clock::time_point deadline) {
    while (impl_->open_listeners.load() > 0 || impl_->open_connections.load() > 0) {
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
