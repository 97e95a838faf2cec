// See http_client.hpp.
#include "http_client.hpp"

#include <thread>

#include <arpa/inet.h>
#include <brotli/decode.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <cstring>
#include <stdexcept>

namespace portcullis::test {
namespace {
std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}
}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
    const auto wanted = lower(name);
    for (const auto& [n, v] : headers) {
        if (n == wanted) return v;
    }
    return std::nullopt;
}

std::size_t HttpResponse::header_count(std::string_view name) const {
    const auto wanted = lower(name);
    std::size_t count = 0;
    for (const auto& [n, v] : headers) count += n == wanted ? 1u : 0u;
    return count;
}

Connection::Connection(std::string host, std::uint16_t port) {
    const bool v6 = host.find(':') != std::string::npos;
    fd_ = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = -1;
    if (v6) {
        sockaddr_in6 addr{};
        addr.sin6_family = AF_INET6;
        addr.sin6_port = htons(port);
        ::inet_pton(AF_INET6, host.c_str(), &addr.sin6_addr);
        rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    } else {
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        ::inet_pton(AF_INET, host.c_str(), &addr.sin_addr);
        rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    }
    if (rc != 0) {
        ::close(fd_);
        fd_ = -1;
        throw std::runtime_error("connect to port " + std::to_string(port) +
                                 " failed: " + std::strerror(errno));
    }
}

Connection::~Connection() {
    close();
}

void Connection::shutdown_write() {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_WR);
}

void Connection::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

void Connection::send(std::string_view bytes) {
    while (!bytes.empty()) {
        const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw std::runtime_error(std::string("send failed: ") + std::strerror(errno));
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
}

bool Connection::fill(std::chrono::steady_clock::time_point deadline) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) throw std::runtime_error("timed out waiting for the server");
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready == 0) throw std::runtime_error("timed out waiting for the server");
    char buf[16384];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
}

std::string Connection::read_line(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
        const auto pos = buffer_.find("\r\n");
        if (pos != std::string::npos) {
            std::string line = buffer_.substr(0, pos);
            buffer_.erase(0, pos + 2);
            return line;
        }
        if (!fill(deadline)) throw std::runtime_error("connection closed mid-response");
    }
}

std::string Connection::read_exact(std::size_t n, std::chrono::steady_clock::time_point deadline) {
    while (buffer_.size() < n) {
        if (!fill(deadline)) throw std::runtime_error("connection closed mid-body");
    }
    std::string out = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return out;
}

HttpResponse Connection::read_response(bool head_request, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    HttpResponse response;
    const std::string status_line = read_line(deadline);
    // HTTP/1.1 200 OK
    if (status_line.size() < 12) throw std::runtime_error("bad status line: " + status_line);
    response.status = std::stoi(status_line.substr(9, 3));
    response.reason = status_line.size() > 13 ? status_line.substr(13) : "";
    for (;;) {
        const std::string line = read_line(deadline);
        if (line.empty()) break;
        const auto colon = line.find(':');
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ') value.erase(0, 1);
        response.headers.emplace_back(lower(line.substr(0, colon)), value);
    }
    if (head_request || response.status == 204 || response.status == 304 ||
        response.status / 100 == 1) {
        return response;
    }
    if (auto te = response.header("transfer-encoding"); te && lower(*te) == "chunked") {
        for (;;) {
            const std::size_t size = std::stoul(read_line(deadline), nullptr, 16);
            if (size == 0) {
                read_line(deadline);
                break;
            }
            response.body += read_exact(size, deadline);
            read_line(deadline);
        }
    } else if (auto cl = response.header("content-length")) {
        response.body = read_exact(std::stoul(*cl), deadline);
    } else {
        while (fill(deadline)) {
        }
        response.body = std::move(buffer_);
        buffer_.clear();
    }
    return response;
}

bool Connection::closed_by_peer(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    try {
        while (fill(deadline)) {
        }
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

std::string serialize(const Request& request) {
    std::string out = request.method + " " + request.path + " HTTP/1.1\r\n";
    bool has_host = false;
    for (const auto& [n, v] : request.headers) {
        has_host = has_host || lower(n) == "host";
        out += n + ": " + v + "\r\n";
    }
    if (!has_host) out += "Host: localhost\r\n";
    if (request.body) out += "Content-Length: " + std::to_string(request.body->size()) + "\r\n";
    out += "\r\n";
    if (request.body) out += *request.body;
    return out;
}

HttpResponse fetch(std::uint16_t port, const Request& request) {
    Connection connection("127.0.0.1", port);
    connection.send(serialize(request));
    return connection.read_response(request.method == "HEAD");
}

HttpResponse get(std::uint16_t port, const std::string& path,
                 std::vector<std::pair<std::string, std::string>> headers) {
    return fetch(port, Request{"GET", path, std::move(headers), std::nullopt});
}

HttpResponse post_json(std::uint16_t port, const std::string& path, const std::string& body,
                       std::vector<std::pair<std::string, std::string>> headers) {
    headers.emplace_back("Content-Type", "application/json");
    return fetch(port, Request{"POST", path, std::move(headers), body});
}

std::optional<std::chrono::milliseconds> poll_until(
    std::uint16_t port, const std::string& path,
    const std::function<bool(const HttpResponse&)>& accept, std::chrono::milliseconds limit) {
    const auto start = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - start < limit) {
        try {
            if (accept(get(port, path))) {
                return std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start);
            }
        } catch (const std::exception&) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return std::nullopt;
}

std::string gzip(std::string_view data) {
    z_stream zs{};
    deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
    std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    return out;
}

std::string gunzip(std::string_view data) {
    z_stream zs{};
    inflateInit2(&zs, 15 + 32);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    std::string out;
    char buf[16384];
    int rc = Z_OK;
    while (rc == Z_OK) {
        zs.next_out = reinterpret_cast<Bytef*>(buf);
        zs.avail_out = sizeof buf;
        rc = inflate(&zs, Z_NO_FLUSH);
        out.append(buf, sizeof buf - zs.avail_out);
        if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;
    }
    inflateEnd(&zs);
    if (rc != Z_STREAM_END) throw std::runtime_error("gunzip failed");
    return out;
}

std::string zlib_deflate(std::string_view data) {
    uLongf size = compressBound(static_cast<uLong>(data.size()));
    std::string out(size, '\0');
    if (compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                  reinterpret_cast<const Bytef*>(data.data()), static_cast<uLong>(data.size()),
                  Z_DEFAULT_COMPRESSION) != Z_OK) {
        throw std::runtime_error("compress2 failed");
    }
    out.resize(size);
    return out;
}

std::string zlib_inflate(std::string_view data) {
    // uncompress() needs the output size up front: grow until it fits.
    for (uLongf capacity = static_cast<uLongf>(data.size()) * 4 + 1024;; capacity *= 2) {
        std::string out(capacity, '\0');
        uLongf size = capacity;
        uLong consumed = static_cast<uLong>(data.size());
        const int rc = uncompress2(reinterpret_cast<Bytef*>(out.data()), &size,
                                   reinterpret_cast<const Bytef*>(data.data()), &consumed);
        if (rc == Z_BUF_ERROR && size == capacity) continue;
        if (rc != Z_OK || consumed != data.size()) throw std::runtime_error("zlib inflate failed");
        out.resize(size);
        return out;
    }
}

std::string brotli_decompress(std::string_view data) {
    std::string out(data.size() * 20 + 1024, '\0');
    std::size_t size = out.size();
    if (BrotliDecoderDecompress(data.size(), reinterpret_cast<const uint8_t*>(data.data()), &size,
                                reinterpret_cast<uint8_t*>(out.data())) !=
        BROTLI_DECODER_RESULT_SUCCESS) {
        throw std::runtime_error("brotli decode failed");
    }
    out.resize(size);
    return out;
}

}  // namespace portcullis::test
