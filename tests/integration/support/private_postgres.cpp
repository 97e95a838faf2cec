// See private_postgres.hpp. Postgres refuses to run as root, so as root the cluster belongs to the
// `postgres` system user (as in scripts/stack.sh).
#include "private_postgres.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <vector>

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

namespace {
// The postmaster's pid and every process it started (backends, background workers).
std::vector<pid_t> server_processes(const std::string& data_dir) {
    std::vector<pid_t> pids;
    std::ifstream pidfile(data_dir + "/postmaster.pid");
    pid_t postmaster = 0;
    if (!(pidfile >> postmaster) || postmaster <= 0) return pids;
    pids.push_back(postmaster);
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string name = entry.path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::ifstream stat(entry.path() / "stat");
        std::string line;
        std::getline(stat, line);
        // pid (comm) state ppid ...: comm may contain spaces, so read after the last ')'.
        const auto close = line.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(line.substr(close + 2));
        char state = 0;
        pid_t parent = 0;
        rest >> state >> parent;
        if (parent == postmaster) pids.push_back(static_cast<pid_t>(std::stoi(name)));
    }
    return pids;
}
}  // namespace

void PrivatePostgres::pause() {
    for (const pid_t pid : server_processes(dir_ + "/data")) ::kill(pid, SIGSTOP);
}

void PrivatePostgres::resume() {
    for (const pid_t pid : server_processes(dir_ + "/data")) ::kill(pid, SIGCONT);
}

void PrivatePostgres::stop() {
    if (!running_) return;
    resume();  // a paused server would not hear pg_ctl
    run(as_postgres(bin_ + "/pg_ctl -D " + dir_ + "/data -m fast -w -t 30 stop >/dev/null"));
    running_ = false;
}

}  // namespace portcullis::test
