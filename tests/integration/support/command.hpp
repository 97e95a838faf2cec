// Runs a one-shot `portcullis <command>` with stdout and stderr captured apart, for the CLI tests
// where the stream a message goes to is part of the contract (contract 13).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "server_process.hpp"

namespace portcullis::test {

struct CommandResult {
    int exit_code = -1;  // -1: killed after the timeout
    std::string out;
    std::string err;
};

// `env` is the whole environment (plus PATH); runs in a fresh empty working directory, so no
// stray .env is read.
CommandResult run_command(const Env& env, const std::vector<std::string>& args,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));
// The same with `input` on the command's standard input (otherwise it reads /dev/null's EOF).
CommandResult run_command_with_input(const Env& env, const std::vector<std::string>& args,
                                     const std::string& input,
                                     std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace portcullis::test
