// See load_client.hpp.
#include "load_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace portcullis::test {
namespace {
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

milliseconds since(Clock::time_point start) {
    return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}
}  // namespace

bool raise_fd_limit(std::size_t n) {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return false;
    if (limit.rlim_cur >= n) return true;
    const rlim_t wanted = static_cast<rlim_t>(n);
    if (limit.rlim_max < wanted) limit.rlim_max = wanted;  // only root may raise the hard limit
    limit.rlim_cur = wanted;
    return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
}

int connect_raw(std::uint16_t port, const std::string& host) {
    const bool v6 = host.find(':') != std::string::npos;
    const int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    int rc = -1;
    if (v6) {
        sockaddr_in6 addr{};
        addr.sin6_family = AF_INET6;
        addr.sin6_port = htons(port);
        ::inet_pton(AF_INET6, host.c_str(), &addr.sin6_addr);
        rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    } else {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
        rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    }
    if (rc != 0) {
        const int error = errno;
        ::close(fd);
        throw std::runtime_error("connect to port " + std::to_string(port) +
                                 " failed: " + std::strerror(error));
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

std::vector<int> open_connections(std::uint16_t port, std::size_t n, const std::string& host) {
    std::vector<int> fds;
    fds.reserve(n);
    try {
        for (std::size_t i = 0; i < n; ++i) fds.push_back(connect_raw(port, host));
    } catch (...) {
        close_all(fds);
        throw;
    }
    return fds;
}

void close_all(std::vector<int>& fds) {
    for (const int fd : fds) ::close(fd);
    fds.clear();
}

bool send_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

Drained read_until_eof(int fd, milliseconds timeout, std::size_t max_bytes) {
    Drained out;
    const auto deadline = Clock::now() + timeout;
    char chunk[16384];
    while (out.bytes.size() < max_bytes) {
        const auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) break;
        pollfd p{fd, POLLIN, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) break;
        const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {  // EOF, or a reset: the server is done with us either way
            out.eof = true;
            break;
        }
        out.bytes.append(chunk, static_cast<std::size_t>(n));
    }
    return out;
}

int status_of(std::string_view bytes) {
    if (bytes.size() < 12 || !bytes.starts_with("HTTP/1.")) return 0;
    int status = 0;
    for (std::size_t i = 9; i < 12; ++i) {
        if (bytes[i] < '0' || bytes[i] > '9') return 0;
        status = status * 10 + (bytes[i] - '0');
    }
    return status;
}

std::size_t rss_kib(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line)) {
        if (line.starts_with("VmRSS:")) return std::stoul(line.substr(6));
    }
    throw std::runtime_error("no VmRSS for pid " + std::to_string(pid));
}

std::size_t open_descriptors(pid_t pid) {
    std::size_t count = 0;
    for ([[maybe_unused]] const auto& entry :
         std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
        ++count;
    }
    return count;
}

SlowResult run_slowloris(std::uint16_t port, std::size_t count, milliseconds first_byte_after,
                         milliseconds interval, milliseconds limit) {
    // An endless header: the request line, then one header whose value never ends.
    static constexpr std::string_view kPrefix = "GET /health HTTP/1.1\r\nX-Slow: ";
    struct Slow {
        int fd = -1;
        Clock::time_point connected;
        Clock::time_point next_send;
        std::size_t sent = 0;
        std::string received;
        bool open = true;
    };
    std::vector<Slow> conns(count);
    for (auto& c : conns) {
        c.fd = connect_raw(port);
        c.connected = Clock::now();
        c.next_send = c.connected + first_byte_after;
    }
    const auto start = Clock::now();
    SlowResult result;
    result.lifetimes.assign(count, limit);
    std::size_t open = count;
    std::vector<pollfd> polls;
    std::vector<std::size_t> index;
    while (open > 0 && since(start) < limit) {
        const auto now = Clock::now();
        for (auto& c : conns) {
            if (!c.open || now < c.next_send) continue;
            const char byte = c.sent < kPrefix.size() ? kPrefix[c.sent] : 'a';
            if (::send(c.fd, &byte, 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) ++c.sent;
            c.next_send = now + interval;
        }
        polls.clear();
        index.clear();
        for (std::size_t i = 0; i < conns.size(); ++i) {
            if (!conns[i].open) continue;
            polls.push_back({conns[i].fd, POLLIN, 0});
            index.push_back(i);
        }
        if (::poll(polls.data(), polls.size(), 10) <= 0) continue;
        for (std::size_t k = 0; k < polls.size(); ++k) {
            if (polls[k].revents == 0) continue;
            auto& c = conns[index[k]];
            char chunk[4096];
            const ssize_t n = ::recv(c.fd, chunk, sizeof chunk, MSG_DONTWAIT);
            if (n > 0) {
                c.received.append(chunk, static_cast<std::size_t>(n));
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
            c.open = false;
            --open;
            ++result.closed;
            if (status_of(c.received) == 408) ++result.answered_408;
            result.lifetimes[index[k]] = since(c.connected);
        }
    }
    for (auto& c : conns) ::close(c.fd);
    return result;
}

namespace {
// The length of the first complete response in `bytes` (head plus Content-Length body), or 0.
std::size_t complete_response(std::string_view bytes) {
    const auto end = bytes.find("\r\n\r\n");
    if (end == std::string_view::npos) return 0;
    std::size_t length = 0;
    const auto head = bytes.substr(0, end);
    for (std::size_t at = head.find("\r\n"); at != std::string_view::npos;
         at = head.find("\r\n", at + 2)) {
        const auto line = head.substr(at + 2, head.find("\r\n", at + 2) - at - 2);
        if (line.size() > 15 &&
            (line.starts_with("Content-Length:") || line.starts_with("content-length:"))) {
            length = std::stoul(std::string(line.substr(15)));
        }
    }
    return bytes.size() >= end + 4 + length ? end + 4 + length : 0;
}
}  // namespace

BurstResult run_burst(std::uint16_t port, const std::string& request, std::size_t connections,
                      milliseconds duration) {
    struct Client {
        int fd = -1;
        std::string received;
    };
    std::vector<Client> clients(connections);
    for (auto& c : clients) {
        c.fd = connect_raw(port);
        send_all(c.fd, request);
    }
    BurstResult result;
    const auto start = Clock::now();
    std::vector<pollfd> polls(connections);
    while (since(start) < duration) {
        for (std::size_t i = 0; i < connections; ++i) polls[i] = {clients[i].fd, POLLIN, 0};
        if (::poll(polls.data(), polls.size(), 10) <= 0) continue;
        for (std::size_t i = 0; i < connections; ++i) {
            if (polls[i].revents == 0) continue;
            auto& c = clients[i];
            char chunk[4096];
            const ssize_t n = ::recv(c.fd, chunk, sizeof chunk, MSG_DONTWAIT);
            if (n <= 0) {
                if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
                // Closed by the server: reconnect, as a load generator does.
                ::close(c.fd);
                c.fd = connect_raw(port);
                c.received.clear();
                send_all(c.fd, request);
                continue;
            }
            c.received.append(chunk, static_cast<std::size_t>(n));
            while (const std::size_t length = complete_response(c.received)) {
                const int status = status_of(c.received);
                if (status >= 200 && status < 300) {
                    ++result.ok;
                } else if (status == 503) {
                    ++result.overloaded;
                } else {
                    ++result.other;
                }
                c.received.erase(0, length);
                send_all(c.fd, request);
            }
        }
    }
    for (auto& c : clients) ::close(c.fd);
    return result;
}

std::vector<double> sample_health_latency(std::uint16_t port, milliseconds duration) {
    static constexpr std::string_view kRequest = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";
    std::vector<double> latencies;
    int fd = connect_raw(port);
    const auto start = Clock::now();
    std::string buffer;
    while (since(start) < duration) {
        const auto sent_at = Clock::now();
        if (!send_all(fd, kRequest)) throw std::runtime_error("health sampler: send failed");
        // The answer is small and has a Content-Length: read until the whole body is in.
        buffer.clear();
        for (;;) {
            char chunk[4096];
            pollfd p{fd, POLLIN, 0};
            if (::poll(&p, 1, 5000) <= 0) throw std::runtime_error("health sampler: no answer");
            const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
            if (n <= 0) throw std::runtime_error("health sampler: connection closed");
            buffer.append(chunk, static_cast<std::size_t>(n));
            const auto end = buffer.find("\r\n\r\n");
            if (end == std::string::npos) continue;
            const auto length_at = buffer.find("Content-Length: ");
            if (length_at == std::string::npos || length_at > end) break;
            const std::size_t length = std::stoul(buffer.substr(length_at + 16));
            if (buffer.size() >= end + 4 + length) break;
        }
        latencies.push_back(
            std::chrono::duration<double, std::milli>(Clock::now() - sent_at).count());
        // The server ends a connection after its request budget: open the next one.
        if (buffer.find("Connection: close") != std::string::npos) {
            ::close(fd);
            fd = connect_raw(port);
        }
        std::this_thread::sleep_for(milliseconds(2));
    }
    ::close(fd);
    std::sort(latencies.begin(), latencies.end());
    return latencies;
}

double percentile(const std::vector<double>& sorted, double p) {
    if (sorted.empty()) return 0;
    const auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1));
    return sorted[std::min(rank, sorted.size() - 1)];
}

}  // namespace portcullis::test
