// A log collector that stops reading stdout must not stop the service (issue #18 item 6): the real
// binary runs with stdout on a pipe nobody reads; once the pipe is full, requests keep being
// answered, the lines that do not fit are dropped and counted in
// portcullis_log_lines_dropped_total, and SIGTERM still ends the process promptly.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "http_client.hpp"
#include "server_process.hpp"
#include "test_database.hpp"

namespace portcullis::test {
namespace {
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// The binary with stdout on a pipe whose read end the test holds and never reads, stderr on a
// file (sanitizer reports), and exactly `env` (plus PATH and the sanitizer settings).
class StalledStdoutServer {
public:
    explicit StalledStdoutServer(const Env& env) : port_(free_port()) {
        int fds[2];
        if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
        read_end_ = fds[0];
        std::vector<std::string> env_strings{"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                             "PORT=" + std::to_string(port_)};
        for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
        for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
            if (const char* value = std::getenv(name)) {
                env_strings.push_back(std::string(name) + "=" + value);
            }
        }
        std::vector<char*> envp;
        for (auto& s : env_strings) envp.push_back(s.data());
        envp.push_back(nullptr);
        std::string binary = PORTCULLIS_BINARY;
        std::string serve = "serve";
        std::string migrate = "--migrate";
        std::vector<char*> argv{binary.data(), serve.data(), migrate.data(), nullptr};
        stderr_path_ = "/tmp/portcullis-stalled-stdout-" + std::to_string(::getpid()) + ".err";

        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork failed");
        if (pid_ == 0) {
            const int err = ::open(stderr_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            ::dup2(fds[1], 1);
            ::dup2(err, 2);
            ::close(fds[0]);
            ::close(fds[1]);
            ::execve(argv[0], argv.data(), envp.data());
            ::_exit(127);
        }
        ::close(fds[1]);
    }
    ~StalledStdoutServer() {
        if (!exit_code_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        ::close(read_end_);
        ::unlink(stderr_path_.c_str());
    }
    StalledStdoutServer(const StalledStdoutServer&) = delete;
    StalledStdoutServer& operator=(const StalledStdoutServer&) = delete;

    std::uint16_t port() const { return port_; }
    // Bytes written to stdout that nobody has read.
    int unread_bytes() const {
        int n = 0;
        ::ioctl(read_end_, FIONREAD, &n);
        return n;
    }
    std::string stderr_text() const {
        std::ifstream in(stderr_path_);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
    void signal(int sig) const { ::kill(pid_, sig); }
    std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        while (Clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
                return exit_code_;
            }
            std::this_thread::sleep_for(10ms);
        }
        return std::nullopt;
    }

private:
    std::uint16_t port_;
    pid_t pid_ = -1;
    int read_end_ = -1;
    std::string stderr_path_;
    std::optional<int> exit_code_;
};

// One GET on a fresh connection, answered within `timeout` or nullopt.
std::optional<HttpResponse> get_within(std::uint16_t port, const std::string& path,
                                       std::chrono::milliseconds timeout) {
    try {
        Connection connection("127.0.0.1", port);
        connection.send(serialize(Request{"GET", path, {}, std::nullopt}));
        return connection.read_response(false, timeout);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

double dropped_counter(const std::string& metrics) {
    std::smatch m;
    if (!std::regex_search(metrics, m,
                           std::regex("\\nportcullis_log_lines_dropped_total ([0-9.e+]+)\\n"))) {
        return -1;
    }
    return std::stod(m[1].str());
}

TEST(LogBackpressure, RequestsKeepBeingAnsweredWhileNobodyReadsStdout) {
    TestDatabase db;
    Env env = base_env();
    env["DATABASE_URL"] = db.url();
    env["LOG_LEVEL"] = "info";  // one access-log line per request
    env["IO_THREADS"] = "2";
    StalledStdoutServer server(env);

    const auto started = Clock::now();
    bool healthy = false;
    while (!healthy && Clock::now() - started < 30s) {
        const auto r = get_within(server.port(), "/health", 1s);
        healthy = r && r->status == 200;
        if (!healthy) std::this_thread::sleep_for(25ms);
    }
    ASSERT_TRUE(healthy) << server.stderr_text();
    const auto before = get_within(server.port(), "/metrics", 3s);
    ASSERT_TRUE(before && before->status == 200);
    EXPECT_EQ(dropped_counter(before->body), 0) << "nothing dropped while the pipe has room";

    // Each request adds an access-log line of several hundred bytes: 64 KiB fill the pipe, the
    // logger's queue (1 MiB) takes a few thousand more, and the rest must be dropped. Every
    // request lands on one of the two I/O threads; with a blocking write, the first thread to
    // flush into the full pipe would stop answering.
    constexpr int kRequests = 5000;
    auto slowest = std::chrono::milliseconds(0);
    for (int i = 0; i < kRequests; ++i) {
        const auto start = Clock::now();
        const auto r = get_within(server.port(), "/health", 3s);
        ASSERT_TRUE(r) << "request " << i << " got no answer within 3 s (" << server.unread_bytes()
                       << " bytes of stdout unread)";
        ASSERT_EQ(r->status, 200);
        slowest = std::max(
            slowest, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start));
    }
    EXPECT_LT(slowest, 1000ms) << "the slowest /health took " << slowest.count() << " ms";
    EXPECT_GE(server.unread_bytes(), 60000) << "stdout was really full";

    const auto after = get_within(server.port(), "/metrics", 3s);
    ASSERT_TRUE(after && after->status == 200);
    const double dropped = dropped_counter(after->body);
    EXPECT_GT(dropped, 0) << after->body.substr(0, 2000);
    std::printf("%d requests, slowest %lld ms, %.0f log lines dropped\n", kRequests,
                static_cast<long long>(slowest.count()), dropped);

    // Exit never waits for a stdout that does not drain.
    const auto stop = Clock::now();
    server.signal(SIGTERM);
    const auto code = server.wait_exit(15s);
    ASSERT_TRUE(code) << "no exit within 15 s of SIGTERM";
    EXPECT_EQ(*code, 0) << server.stderr_text();
    EXPECT_LT(Clock::now() - stop, 8s);
}

}  // namespace
}  // namespace portcullis::test
