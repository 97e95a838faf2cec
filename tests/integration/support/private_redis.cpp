// See private_redis.hpp.
#include "private_redis.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "server_process.hpp"

namespace portcullis::test {
namespace {
constexpr const char* kPassword = "private-redis-password";

bool answers(std::uint16_t port) {
    const std::string command = "redis-cli -p " + std::to_string(port) + " -a " + kPassword +
                                " --no-auth-warning PING 2>/dev/null";
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return false;
    char buffer[64] = {};
    const bool pong = std::fgets(buffer, sizeof buffer, pipe) != nullptr &&
                      std::string(buffer).starts_with("PONG");
    ::pclose(pipe);
    return pong;
}
}  // namespace

PrivateRedis::PrivateRedis() {
    char templ[] = "/tmp/portcullis-redis-XXXXXX";
    if (::mkdtemp(templ) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = templ;
    port_ = free_port();
    start();
}

PrivateRedis::~PrivateRedis() {
    stop();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

std::string PrivateRedis::url() const {
    return std::string("redis://:") + kPassword + "@127.0.0.1:" + std::to_string(port_) + "/0";
}

void PrivateRedis::start() {
    if (pid_ > 0) return;
    const std::string port = std::to_string(port_);
    pid_ = ::fork();
    if (pid_ == 0) {
        ::execlp("redis-server", "redis-server", "--port", port.c_str(), "--bind", "127.0.0.1",
                 "--requirepass", kPassword, "--save", "", "--appendonly", "no", "--dir",
                 dir_.c_str(), "--logfile", (dir_ + "/redis.log").c_str(),
                 static_cast<char*>(nullptr));
        std::_Exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!answers(port_)) {
        if (std::chrono::steady_clock::now() > deadline) {
            throw std::runtime_error("private Redis did not start on port " + port);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

void PrivateRedis::stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGCONT);
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
}

void PrivateRedis::pause() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void PrivateRedis::resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
}

std::vector<std::string> PrivateRedis::cli(const std::string& args) const {
    const std::string command = "redis-cli -p " + std::to_string(port_) + " -a " + kPassword +
                                " --no-auth-warning " + args + " 2>/dev/null";
    std::vector<std::string> lines;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return lines;
    char buffer[4096];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
        std::string line(buffer);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
        lines.push_back(line);
    }
    ::pclose(pipe);
    return lines;
}

std::map<std::string, long long> PrivateRedis::ttls() const {
    std::map<std::string, long long> out;
    for (const auto& key : cli("--scan")) {
        const auto ttl = cli("PTTL '" + key + "'");
        out[key] = ttl.size() == 1 ? std::stoll(ttl[0]) : -2;
    }
    return out;
}

}  // namespace portcullis::test
