// What the subcommands share: one way to read and validate the environment for the settings a
// command uses (decisions E.3), to report configuration problems, and to open the database (and
// Redis) for a one-shot command.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <optional>
#include <string>

#include "auth/ed25519_key.hpp"
#include "config/config.hpp"
#include "db/dsn.hpp"
#include "redis/settings.hpp"

namespace portcullis::observability {
class Logger;
}

namespace portcullis::db {
class Database;
}

namespace portcullis::redis {
class Commands;
}

namespace portcullis::cli {

// How a command reports bad configuration: the `Invalid configuration` JSON line of decisions
// B.1 (commands that log JSON: serve, migrate, check-config), or plain lines on stderr (the
// operator tools, whose output is read by people).
enum class ProblemStyle { json_log, text };

struct CommandEnvironment {
    config::Config config;
    std::optional<db::ConnectionSettings> database;  // when the scope holds the database
    std::optional<redis::Settings> redis;            // when the scope holds Redis and it is in use
    std::vector<auth::Ed25519Key> signing_keys;      // EdDSA access tokens (issue #15)
    std::vector<std::string> warnings;
};

// Reads the process environment over `.env`, validates `scope` and parses the URLs it holds,
// all problems together. On failure writes them in `style` (`logger` is required for json_log)
// and returns nullopt; the command then exits 1.
std::optional<CommandEnvironment> load_environment(config::Scope scope, ProblemStyle style,
                                                   observability::Logger* logger = nullptr);

// The `errors` object of the `Invalid configuration` line: `{"VAR":["message",...],...}`.
std::string problems_json(const config::Problems& problems);

// Runs `work` on a private io_context with a one-connection database for the command and,
// when the environment uses Redis and `with_redis` is set, a Redis client. Returns work's result;
// rethrows what it threw, after the connections are closed.
int run_on_database(
    const CommandEnvironment& environment, bool with_redis,
    const std::function<boost::asio::awaitable<int>(db::Database&, redis::Commands*)>& work);

}  // namespace portcullis::cli
