// Runs the real portcullis binary for integration tests: a clean environment, a private working
// directory, stdout and stderr captured to a file, and helpers to read its JSON log lines.
#pragma once

#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <sys/types.h>

namespace portcullis::test {

using Env = std::map<std::string, std::string>;

// A port nobody listens on right now.
std::uint16_t free_port();

// A development-mode configuration that passes validation; tests override what they exercise.
// DATABASE_URL is the stack's database (require_postgres(): throws MissingService without it).
Env base_env();

class ServerProcess {
public:
    // Starts `portcullis <args...>` with exactly `env` (plus PATH), PORT filled in when absent.
    explicit ServerProcess(Env env, std::vector<std::string> args = {"serve"},
                           std::string dotenv = {});
    ~ServerProcess();
    ServerProcess(const ServerProcess&) = delete;
    ServerProcess& operator=(const ServerProcess&) = delete;

    std::uint16_t port() const { return port_; }
    pid_t pid() const { return pid_; }

    // Polls GET /health until it answers 200; false if the process exits or time runs out.
    bool wait_healthy(std::chrono::milliseconds timeout = std::chrono::seconds(15));
    // Waits until the session cleanup round that `serve` runs at start has finished (its metric
    // portcullis_session_cleanup_last_success_timestamp_seconds is set; needs /metrics, i.e. not
    // production). Tests that look at revoked sessions call it, so the round cannot delete their
    // rows halfway through.
    bool wait_startup_cleanup(std::chrono::milliseconds timeout = std::chrono::seconds(15));
    void signal(int sig);
    // Exit code once the process has ended (128+N for a signal death); nullopt on timeout.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout = std::chrono::seconds(15));

    std::string output() const;  // everything written so far (stdout and stderr)
    std::vector<boost::json::value> json_lines() const;  // every line that parses as JSON
    // Waits until a JSON log line satisfies `predicate`.
    std::optional<boost::json::value> wait_for_line(
        const std::function<bool(const boost::json::value&)>& predicate,
        std::chrono::milliseconds timeout = std::chrono::seconds(5)) const;

private:
    pid_t pid_ = -1;
    std::uint16_t port_ = 0;
    std::string dir_;
    std::string log_path_;
    std::optional<int> exit_code_;
};

// Runs the binary to completion (e.g. a configuration that must fail); returns exit code and
// captured output.
struct RunResult {
    int exit_code = -1;
    std::string output;
};
RunResult run_binary(Env env, std::vector<std::string> args,
                     std::chrono::milliseconds timeout = std::chrono::seconds(20));

// A one-shot `portcullis <command>` with stdout and stderr captured apart, for the CLI tests where
// the stream a message goes to is part of the contract (contract 13). Runs in a fresh empty working
// directory (no stray .env) with exactly `env` (plus PATH).
struct CommandResult {
    int exit_code = -1;  // -1: killed after the timeout
    std::string out;
    std::string err;
};
CommandResult run_command(const Env& env, const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));
// The same with `input` on the command's standard input (run_command's reads an empty file).
CommandResult run_command_with_input(const Env& env, const std::vector<std::string>& args,
                                     const std::string& input,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(60));

// The string at a JSON path like {"req","id"}, or empty.
std::string json_string_at(const boost::json::value& v, std::initializer_list<const char*> path);

}  // namespace portcullis::test
