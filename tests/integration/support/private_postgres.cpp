// See private_postgres.hpp. Postgres refuses to run as root, so as root the cluster belongs to the
// `postgres` system user (as in scripts/stack.sh).
#include "private_postgres.hpp"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "harness.hpp"
#include "server_process.hpp"

namespace portcullis::test {
namespace {
constexpr const char* kPassword = "private-pg-secret";

std::string as_postgres(const std::string& command) {
    if (::geteuid() != 0) return command;
    return "runuser -u postgres -- " + command;
}
}  // namespace

PrivatePostgres::PrivatePostgres() {
    bin_ = require_postgres_bin();
    std::string templ = (std::filesystem::temp_directory_path() / "portcullis-pg-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = templ;
    std::ofstream(dir_ + "/pwfile") << kPassword << "\n";
    if (::geteuid() == 0) run("chown -R postgres:postgres " + dir_);
    run(as_postgres(bin_ + "/initdb -D " + dir_ + "/data -U portcullis --pwfile=" + dir_ +
                    "/pwfile --auth-local=trust --auth-host=scram-sha-256 -E UTF8 "
                    "--locale=C.UTF-8 >/dev/null"));
    port_ = free_port();
    start();
}

PrivatePostgres::~PrivatePostgres() {
    try {
        stop();
    } catch (...) {
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

void PrivatePostgres::run(const std::string& command) const {
    if (std::system(command.c_str()) != 0) throw std::runtime_error("command failed: " + command);
}

std::string PrivatePostgres::password() {
    return kPassword;
}

std::string PrivatePostgres::url() const {
    return "postgresql://portcullis:" + std::string(kPassword) +
           "@127.0.0.1:" + std::to_string(port_) + "/postgres";
}

void PrivatePostgres::start() {
    if (running_) return;
    run(as_postgres(bin_ + "/pg_ctl -D " + dir_ + "/data -l " + dir_ +
                    "/server.log -w -t 30 -o \"-p " + std::to_string(port_) + " -k " + dir_ +
                    " -c listen_addresses=127.0.0.1 -c fsync=off\" start >/dev/null"));
    running_ = true;
}

void PrivatePostgres::stop() {
    if (!running_) return;
    run(as_postgres(bin_ + "/pg_ctl -D " + dir_ + "/data -m fast -w -t 30 stop >/dev/null"));
    running_ = false;
}

}  // namespace portcullis::test
