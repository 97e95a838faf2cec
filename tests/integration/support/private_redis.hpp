// A Redis 7 server of a test's own (password set, loopback port, no persistence), so a test can
// stop and restart Redis without disturbing the shared local stack.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace portcullis::test {

class PrivateRedis {
public:
    PrivateRedis();  // starts; throws std::runtime_error when that fails
    ~PrivateRedis();
    PrivateRedis(const PrivateRedis&) = delete;
    PrivateRedis& operator=(const PrivateRedis&) = delete;

    std::string url() const;  // redis://:<password>@127.0.0.1:<port>/0
    std::uint16_t port() const { return port_; }
    void stop();    // SIGKILL: connections drop as in a crash
    void start();   // same port, empty data set
    void pause();   // SIGSTOP: connections stay open, nothing answers
    void resume();  // SIGCONT

    // Runs redis-cli with `args` against this server; its stdout lines.
    std::vector<std::string> cli(const std::string& args) const;
    // Every key with its PTTL in milliseconds (-1: no expiry; a key that vanished meanwhile
    // reads -2).
    std::map<std::string, long long> ttls() const;

private:
    std::string dir_;
    std::uint16_t port_ = 0;
    int pid_ = -1;
};

}  // namespace portcullis::test
