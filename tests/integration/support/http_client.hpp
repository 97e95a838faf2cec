// A deliberately small HTTP/1.1 client over raw sockets for integration tests: it sends exactly the
// bytes a test gives it, so malformed, pipelined and slow requests can be written by hand.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::test {

struct HttpResponse {
    int status = 0;
    std::string reason;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, in order
    std::string body;                                          // de-chunked, not decompressed

    // First value of a header (name case-insensitive), or nullopt.
    std::optional<std::string> header(std::string_view name) const;
    bool has_header(std::string_view name) const { return header(name).has_value(); }
    std::size_t header_count(std::string_view name) const;
};

class Connection {
public:
    Connection(std::string host, std::uint16_t port);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    bool is_open() const { return fd_ >= 0; }
    void send(std::string_view bytes);
    // Reads one response; `head_request` for a HEAD (no body follows). Throws on timeout.
    HttpResponse read_response(bool head_request = false,
                               std::chrono::milliseconds timeout = std::chrono::seconds(10));
    // True when the server closed the connection (reads EOF) within `timeout`.
    bool closed_by_peer(std::chrono::milliseconds timeout = std::chrono::seconds(5));
    void close();
    // Ends the sending direction (FIN) while still reading the answer.
    void shutdown_write();

private:
    bool fill(std::chrono::steady_clock::time_point deadline);  // false on EOF
    std::string read_line(std::chrono::steady_clock::time_point deadline);
    std::string read_exact(std::size_t n, std::chrono::steady_clock::time_point deadline);

    int fd_ = -1;
    std::string buffer_;
};

struct Request {
    std::string method = "GET";
    std::string path = "/";
    std::vector<std::pair<std::string, std::string>> headers;
    std::optional<std::string> body;  // sets Content-Length when present
};

std::string serialize(const Request& request);

// One request on a fresh connection (with `Connection: close`).
HttpResponse fetch(std::uint16_t port, const Request& request);
HttpResponse get(std::uint16_t port, const std::string& path,
                 std::vector<std::pair<std::string, std::string>> headers = {});
HttpResponse post_json(std::uint16_t port, const std::string& path, const std::string& body,
                       std::vector<std::pair<std::string, std::string>> headers = {});

// Polls GET `path` until `accept(response)` holds (connection errors count as "not yet"); the
// time that took, or nullopt after `limit`.
std::optional<std::chrono::milliseconds> poll_until(
    std::uint16_t port, const std::string& path,
    const std::function<bool(const HttpResponse&)>& accept, std::chrono::milliseconds limit);

// Codings done by the client's own libraries (zlib, libbrotli), never by the server's codec, so a
// round trip through the server proves the wire format, not agreement with itself.
std::string gzip(std::string_view data);
std::string gunzip(std::string_view data);
// HTTP `deflate` is the zlib format (RFC 9110 8.4.1.2): zlib's compress2() and uncompress().
std::string zlib_deflate(std::string_view data);
std::string zlib_inflate(std::string_view data);
std::string brotli_decompress(std::string_view data);

}  // namespace portcullis::test
