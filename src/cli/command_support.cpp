// See command_support.hpp.
#include "cli/command_support.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <exception>
#include <memory>

#include "auth/password_blocklist.hpp"
#include "auth/signing_keys.hpp"
#include "db/database.hpp"
#include "observability/logger.hpp"
#include "redis/connections.hpp"
#include "util/json_text.hpp"

namespace portcullis::cli {

std::string problems_json(const config::Problems& problems) {
    using util::append_json_string;
    std::string out = "{";
    bool first = true;
    for (const auto& [key, messages] : problems) {
        if (!first) out += ',';
        first = false;
        append_json_string(out, key);
        out += ":[";
        for (std::size_t i = 0; i < messages.size(); ++i) {
            if (i > 0) out += ',';
            append_json_string(out, messages[i]);
        }
        out += ']';
    }
    out += '}';
    return out;
}

std::optional<CommandEnvironment> load_environment(config::Scope scope, ProblemStyle style,
                                                   observability::Logger* logger) {
    auto loaded = config::load_config(config::read_environment(".env"), scope);
    config::Problems problems = std::move(loaded.problems);
    CommandEnvironment environment;
    environment.config = std::move(loaded.values);
    // The URLs are parsed here, beside the other checks, so that one report lists every problem
    // (decisions B.1): config/ validates their form, db/ and redis/ whether they can be used.
    const config::Config& config = environment.config;
    if ((scope.database || scope.server) && problems.count("DATABASE_URL") == 0) {
        std::string error;
        environment.database = db::parse_database_url(config.database_url, error);
        if (!environment.database) problems["DATABASE_URL"].push_back(error);
    }
    if ((scope.redis || scope.server) && problems.count("RATE_LIMIT_REDIS_URL") == 0 &&
        config.redis_in_use()) {
        std::string error;
        environment.redis = redis::parse_redis_url(*config.rate_limit_redis_url, error);
        if (!environment.redis) problems["RATE_LIMIT_REDIS_URL"].push_back(error);
    }
    // The file's content (its first line) beside the other problems, as serve would open it.
    if ((scope.password_blocklist || scope.server) &&
        problems.count("AUTH_PASSWORD_BLOCKLIST") == 0 &&
        config.auth_password_blocklist == config::PasswordBlocklistMode::file) {
        try {
            const auth::BreachedHashFile file(config.auth_password_blocklist_file);
        } catch (const std::exception& e) {
            problems["AUTH_PASSWORD_BLOCKLIST"].emplace_back(e.what());
        }
    }
    // The keys are read here too, so that check-config proves them as serve would use them.
    if (scope.server && config.jwt_access_algorithm == config::JwtAlgorithm::eddsa &&
        (config.jwt_signing_keys_dir || config.jwt_signing_key) &&
        problems.count("JWT_SIGNING_KEYS_DIR") == 0 && problems.count("JWT_SIGNING_KEY") == 0) {
        std::string error;
        auto keys =
            auth::load_signing_keys(config.jwt_signing_keys_dir, config.jwt_signing_key, error);
        if (keys) {
            environment.signing_keys = std::move(*keys);
        } else {
            problems[config.jwt_signing_key ? "JWT_SIGNING_KEY" : "JWT_SIGNING_KEYS_DIR"].push_back(
                error);
        }
    }
    if (problems.empty()) {
        if (logger != nullptr) {
            logger->set_level(
                static_cast<observability::Level>(static_cast<int>(config.log_level)));
        }
        environment.warnings = std::move(loaded.warnings);
        return environment;
    }
    if (style == ProblemStyle::json_log && logger != nullptr) {
        logger->log(observability::Level::fatal, "Invalid configuration",
                    observability::LogFields().raw("errors", problems_json(problems)));
        return std::nullopt;
    }
    for (const auto& [name, messages] : problems) {
        for (const auto& message : messages) {
            // Messages mostly name their variable already (`DATABASE_URL must be set`).
            if (message.rfind(name, 0) == 0) {
                std::fprintf(stderr, "%s\n", message.c_str());
            } else {
                std::fprintf(stderr, "%s: %s\n", name.c_str(), message.c_str());
            }
        }
    }
    return std::nullopt;
}

int run_on_database(
    const CommandEnvironment& environment, bool with_redis,
    const std::function<boost::asio::awaitable<int>(db::Database&, redis::Commands*)>& work) {
    boost::asio::io_context io;
    db::Database database(
        *environment.database,
        {.size = 1, .statement_timeout = environment.config.database_statement_timeout});
    database.attach_this_thread(io);
    std::shared_ptr<redis::Commands> client;
    if (with_redis && environment.redis) {
        client = redis::make_client(
            io, *environment.redis,
            redis::ClientOptions{.call_timeout = environment.config.rate_limit_redis_timeout});
        client->start();
    }
    int code = 1;
    std::exception_ptr failure;
    boost::asio::co_spawn(
        io,
        [&]() -> boost::asio::awaitable<int> { co_return co_await work(database, client.get()); },
        [&](std::exception_ptr error, int result) {
            failure = error;
            code = result;
            if (client) client->stop();
            io.stop();
        });
    io.run();
    database.close();
    if (failure) std::rethrow_exception(failure);
    return code;
}

}  // namespace portcullis::cli
