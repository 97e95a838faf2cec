// The subcommands of the one binary (decisions B.17), one file each. Every add_* puts its
// subcommand(s) on `app`; when one of them is parsed, its work is stored in `chosen` and run by
// cli::run after parsing, so a command never runs half-parsed.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace portcullis::cli {

using Runner = std::function<int()>;

void add_serve(CLI::App& app, Runner& chosen);
void add_migrate(CLI::App& app, Runner& chosen);
void add_user(CLI::App& app, Runner& chosen);
void add_sessions(CLI::App& app, Runner& chosen);
void add_login_attempts(CLI::App& app, Runner& chosen);
void add_check_config(CLI::App& app, Runner& chosen);
void add_healthcheck(CLI::App& app, Runner& chosen);
void add_keys(CLI::App& app, Runner& chosen);
void add_version(CLI::App& app, Runner& chosen);
void add_audit(CLI::App& app, Runner& chosen);
void add_hash(CLI::App& app, Runner& chosen);
void add_blocklist(CLI::App& app, Runner& chosen);

}  // namespace portcullis::cli
