// A PostgreSQL 15 cluster of a test's own (initdb in a temporary folder, loopback port), so a test
// can stop and restart Postgres without disturbing the shared local stack.
#pragma once

#include <cstdint>
#include <string>

namespace portcullis::test {

class PrivatePostgres {
public:
    PrivatePostgres();  // initdb + start; throws std::runtime_error when that fails
    ~PrivatePostgres();
    PrivatePostgres(const PrivatePostgres&) = delete;
    PrivatePostgres& operator=(const PrivatePostgres&) = delete;

    std::string url() const;  // postgresql://portcullis:<password()>@127.0.0.1:<port>/postgres
    static std::string password();  // for tests that check it never shows in a log
    std::uint16_t port() const { return port_; }
    void stop();   // fast shutdown: open sessions are terminated
    void start();  // same port, same data
    // SIGSTOP / SIGCONT the server and every backend: connections stay open, nothing answers.
    void pause();
    void resume();
    std::string data_dir() const { return dir_ + "/data"; }

private:
    void run(const std::string& command) const;
    std::string dir_;
    std::string bin_;
    std::uint16_t port_ = 0;
    bool running_ = false;
};

}  // namespace portcullis::test
