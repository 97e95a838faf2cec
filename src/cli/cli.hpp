// Command-line surface of the one binary (design section 4, decisions B.17): the parsing lives
// here; what each command does is supplied by main.cpp, the composition root.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace portcullis::cli {

struct ServeArgs {
    bool migrate = false;  // `serve --migrate`: migrate, then serve (the reference's start:prod)
};

struct ClearAttemptsArgs {
    std::string email;
    std::optional<std::string> ip;  // absent: every address of the email
};

struct Commands {
    std::function<int(const ServeArgs&)> serve;
    std::function<int()> version;
    std::function<int()> migrate_deploy;
    std::function<int()> migrate_status;
    std::function<int(const ClearAttemptsArgs&)> clear_login_attempts;
};

// Parses argv and runs the chosen command; returns the process exit code.
int run(int argc, char** argv, const Commands& commands);

}  // namespace portcullis::cli
