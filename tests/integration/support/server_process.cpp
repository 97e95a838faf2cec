// See server_process.hpp.
#include "server_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "harness.hpp"
#include "http_client.hpp"

namespace portcullis::test {
namespace {
// stdout goes to `out_path`, stderr to `err_path` (the same path merges them, in order); stdin
// reads `in_path` when one is given.
pid_t spawn(const Env& env, const std::vector<std::string>& args, const std::string& dir,
            const std::string& out_path, const std::string& err_path,
            const std::string& in_path = {}) {
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    if (env.find("PATH") == env.end()) env_strings.push_back("PATH=/usr/sbin:/usr/bin:/sbin:/bin");
    // Sanitizer settings of the test run reach the server too.
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"}) {
        if (const char* value = std::getenv(name))
            env_strings.push_back(std::string(name) + "=" + value);
    }
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);

    std::vector<std::string> argv_strings{PORTCULLIS_BINARY};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& s : argv_strings) argv.push_back(s.data());
    argv.push_back(nullptr);

    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        const int out = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
        const int err =
            err_path == out_path
                ? out
                : ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
        if (!in_path.empty()) ::dup2(::open(in_path.c_str(), O_RDONLY), 0);
        ::dup2(out, 1);
        ::dup2(err, 2);
        if (::chdir(dir.c_str()) != 0) ::_exit(126);
        ::execve(argv[0], argv.data(), envp.data());
        ::_exit(127);
    }
    return pid;
}

std::optional<int> wait_pid(pid_t pid, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        int status = 0;
        const pid_t r = ::waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            if (WIFEXITED(status)) return WEXITSTATUS(status);
            if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
            return -1;
        }
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::string make_temp_dir() {
    std::string templ = (std::filesystem::temp_directory_path() / "portcullis-it-XXXXXX").string();
    if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    return templ;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}
}  // namespace

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_any;
    addr.sin6_port = 0;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        ::close(fd);
        throw std::runtime_error("bind failed");
    }
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin6_port);
}

Env base_env() {
    return Env{
        {"APP_ENV", "development"},
        {"DATABASE_URL", require_postgres()},
        {"JWT_ACCESS_SECRET", "test-access-secret-0123456789abcdef-0123456789"},
        {"JWT_REFRESH_SECRET", "test-refresh-secret-fedcba9876543210-fedcba98"},
        {"LOG_LEVEL", "info"},
        {"IO_THREADS", "2"},
        // Limits no ordinary test reaches; rate_limit_test.cpp sets its own.
        {"RATE_LIMIT_RPM", "1000000"},
        {"RATE_LIMIT_RPM_AUTH", "1000000"},
        {"RATE_LIMIT_RPM_AUTH_REGISTER", "1000000"},
        {"RATE_LIMIT_RPM_AUTH_PASSWORD_RESET", "1000000"},
    };
}

ServerProcess::ServerProcess(Env env, std::vector<std::string> args, std::string dotenv) {
    if (env.find("PORT") == env.end()) env["PORT"] = std::to_string(free_port());
    port_ = static_cast<std::uint16_t>(std::stoi(env["PORT"]));
    dir_ = make_temp_dir();
    log_path_ = dir_ + "/output.log";
    if (!dotenv.empty()) std::ofstream(dir_ + "/.env") << dotenv;
    pid_ = spawn(env, args, dir_, log_path_, log_path_);
}

ServerProcess::~ServerProcess() {
    if (!exit_code_ && pid_ > 0) {
        ::kill(pid_, SIGKILL);
        wait_pid(pid_, std::chrono::seconds(5));
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

bool ServerProcess::wait_healthy(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (!exit_code_) {
            if (auto code = wait_pid(pid_, std::chrono::milliseconds(0))) {
                exit_code_ = code;
            }
        }
        if (exit_code_) return false;
        try {
            if (get(port_, "/health").status == 200) return true;
        } catch (const std::exception&) {
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    return false;
}

bool ServerProcess::wait_startup_cleanup(std::chrono::milliseconds timeout) {
    static const std::string kMetric =
        "\nportcullis_session_cleanup_last_success_timestamp_seconds ";
    return poll_until(
               port_, "/metrics",
               [](const HttpResponse& r) {
                   const auto at = r.body.find(kMetric);
                   return r.status == 200 && at != std::string::npos &&
                          r.body.compare(at + kMetric.size(), 2, "0\n") != 0;
               },
               timeout)
        .has_value();
}

void ServerProcess::signal(int sig) {
    if (!exit_code_) ::kill(pid_, sig);
}

std::optional<int> ServerProcess::wait_exit(std::chrono::milliseconds timeout) {
    if (!exit_code_) exit_code_ = wait_pid(pid_, timeout);
    return exit_code_;
}

std::string ServerProcess::output() const {
    return read_file(log_path_);
}

std::vector<boost::json::value> ServerProcess::json_lines() const {
    std::vector<boost::json::value> lines;
    std::istringstream in(output());
    std::string line;
    while (std::getline(in, line)) {
        boost::system::error_code ec;
        auto v = boost::json::parse(line, ec);
        if (!ec && v.is_object()) lines.push_back(std::move(v));
    }
    return lines;
}

std::optional<boost::json::value> ServerProcess::wait_for_line(
    const std::function<bool(const boost::json::value&)>& predicate,
    std::chrono::milliseconds timeout) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        for (auto& line : json_lines()) {
            if (predicate(line)) return line;
        }
        if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

RunResult run_binary(Env env, std::vector<std::string> args, std::chrono::milliseconds timeout) {
    const std::string dir = make_temp_dir();
    const std::string log = dir + "/output.log";
    const pid_t pid = spawn(env, args, dir, log, log);
    RunResult result;
    if (auto code = wait_pid(pid, timeout)) {
        result.exit_code = *code;
    } else {
        ::kill(pid, SIGKILL);
        wait_pid(pid, std::chrono::seconds(5));
        result.exit_code = -1;
    }
    result.output = read_file(log);
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    return result;
}

std::string json_string_at(const boost::json::value& v, std::initializer_list<const char*> path) {
    const boost::json::value* current = &v;
    for (const char* key : path) {
        if (!current->is_object()) return {};
        const auto* next = current->as_object().if_contains(key);
        if (next == nullptr) return {};
        current = next;
    }
    return current->is_string() ? std::string(current->as_string()) : std::string{};
}

CommandResult run_command(const Env& env, const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout) {
    return run_command_with_input(env, args, {}, timeout);
}

CommandResult run_command_with_input(const Env& env, const std::vector<std::string>& args,
                                     const std::string& input, std::chrono::milliseconds timeout) {
    const std::string dir = make_temp_dir();
    std::ofstream(dir + "/stdin", std::ios::binary) << input;
    const pid_t pid = spawn(env, args, dir, dir + "/stdout", dir + "/stderr", dir + "/stdin");
    CommandResult result;
    if (auto code = wait_pid(pid, timeout)) {
        result.exit_code = *code;
    } else {
        ::kill(pid, SIGKILL);
        wait_pid(pid, std::chrono::seconds(5));
    }
    result.out = read_file(dir + "/stdout");
    result.err = read_file(dir + "/stderr");
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    return result;
}

}  // namespace portcullis::test
