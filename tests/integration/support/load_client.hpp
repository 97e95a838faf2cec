// Small load and abuse clients for the hostile-input tests (issue #19): many raw loopback
// connections at once, slow senders, a latency sampler and readings of a process' memory and
// descriptors from /proc. Everything is bounded in time; nothing here skips.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::test {

// True in the ASan+UBSan build: load tests use smaller counts there (the sanitizers make every
// connection several times dearer) and do not judge memory, which ASan's allocator owns.
constexpr bool kSanitized =
#if defined(__SANITIZE_ADDRESS__)
    true;
#else
    false;
#endif

// Raises this process' soft and (as root) hard RLIMIT_NOFILE to at least `n`; false when the
// system refuses. Servers started afterwards inherit it.
bool raise_fd_limit(std::size_t n);

// A connected blocking TCP socket to 127.0.0.1:`port` (or `host`); throws on failure.
int connect_raw(std::uint16_t port, const std::string& host = "127.0.0.1");

// `n` connections opened one after another; throws if one fails.
std::vector<int> open_connections(std::uint16_t port, std::size_t n,
                                  const std::string& host = "127.0.0.1");
void close_all(std::vector<int>& fds);

// Sends all of `bytes` (MSG_NOSIGNAL); false when the peer is gone.
bool send_all(int fd, std::string_view bytes);

// Reads until EOF or `timeout`; what arrived, and whether EOF was seen.
struct Drained {
    std::string bytes;
    bool eof = false;
};
Drained read_until_eof(int fd, std::chrono::milliseconds timeout, std::size_t max_bytes = 1 << 20);

// The status code of the first response line in `bytes`, or 0.
int status_of(std::string_view bytes);

// /proc readings of another process.
std::size_t rss_kib(pid_t pid);           // VmRSS
std::size_t open_descriptors(pid_t pid);  // entries of /proc/<pid>/fd

// Slowloris: `count` connections that each send one byte of a never-ending request header every
// `interval` (the first one after `first_byte_after`), until the server closes them or `limit`
// passes. For each connection, the time from connect to the server's close (or `limit`).
struct SlowResult {
    std::vector<std::chrono::milliseconds> lifetimes;
    std::size_t closed = 0;        // closed by the server within `limit`
    std::size_t answered_408 = 0;  // of those, how many got a 408 first
};
SlowResult run_slowloris(std::uint16_t port, std::size_t count,
                         std::chrono::milliseconds first_byte_after,
                         std::chrono::milliseconds interval, std::chrono::milliseconds limit);

// `connections` keep-alive clients that each send `request` again as soon as its answer is in,
// for `duration`; then every socket is closed at once, answers still outstanding (as wrk does when
// its time is up). Counts the answers by status.
struct BurstResult {
    std::size_t ok = 0;          // 2xx
    std::size_t overloaded = 0;  // 503
    std::size_t other = 0;
};
BurstResult run_burst(std::uint16_t port, const std::string& request, std::size_t connections,
                      std::chrono::milliseconds duration);

// GET /health on one keep-alive connection, one request after another, for `duration`; the
// latency of each, in milliseconds, sorted.
std::vector<double> sample_health_latency(std::uint16_t port, std::chrono::milliseconds duration);
double percentile(const std::vector<double>& sorted, double p);

}  // namespace portcullis::test
