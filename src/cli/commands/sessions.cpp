// `portcullis sessions cleanup | revoke`: the reference's cleanup script (contract 13.3, the
// deletion of contract 12 once) and ending every session of a compromised account.
#include <CLI/CLI.hpp>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "cli/command_support.hpp"
#include "cli/commands/cli_audit.hpp"
#include "cli/commands/commands.hpp"
#include "db/admin_store.hpp"
#include "db/database.hpp"
#include "db/session_cleanup.hpp"
#include "util/strings.hpp"

namespace portcullis::cli {
namespace {

// A running server may be in the middle of its own round: wait for it this long, then give up.
constexpr auto kLockWait = std::chrono::seconds(60);
constexpr auto kLockPoll = std::chrono::milliseconds(200);

int cleanup() {
    // The deletion reads the refresh lifetime; nothing else of the server's configuration.
    const auto environment =
        load_environment({.database = true, .refresh_expiry = true}, ProblemStyle::text);
    if (!environment) return 1;
    try {
        return run_on_database(
            *environment, false,
            [&](db::Database& database, redis::Commands*) -> boost::asio::awaitable<int> {
                db::Pool& pool = database.local();
                const db::SessionCleanupOptions options{.refresh_ttl =
                                                            environment->config.jwt_refresh_expiry};
                boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor);
                const auto give_up = std::chrono::steady_clock::now() + kLockWait;
                for (;;) {
                    const auto result = co_await db::cleanup_sessions(
                        pool, options, std::chrono::system_clock::now());
                    if (result.ran) {
                        std::printf("[sessionCleanup] removed %lld expired/invalid session(s)\n",
                                    static_cast<long long>(result.removed));
                        co_return 0;
                    }
                    if (std::chrono::steady_clock::now() >= give_up) {
                        std::fprintf(stderr,
                                     "[sessionCleanup] failed: another process kept the cleanup "
                                     "lock for %lld s\n",
                                     static_cast<long long>(kLockWait.count()));
                        co_return 1;
                    }
                    timer.expires_after(kLockPoll);
                    co_await timer.async_wait(boost::asio::use_awaitable);
                }
            });
    } catch (const std::exception& e) {
        std::fprintf(stderr, "[sessionCleanup] failed: %s\n", e.what());
        return 1;
    }
}

struct RevokeArgs {
    std::string email;
    std::string id;
};

int revoke(const RevokeArgs& args) {
    if (args.email.empty() == args.id.empty()) {
        std::fprintf(stderr, "[sessions:revoke] give exactly one of --email or --id\n");
        return 1;
    }
    const auto environment = load_environment({.database = true}, ProblemStyle::text);
    if (!environment) return 1;
    const db::UserKey key = args.id.empty() ? db::UserKey{db::UserKey::Kind::email,
                                                          util::to_lower(util::trim(args.email))}
                                            : db::UserKey{db::UserKey::Kind::id, args.id};
    try {
        return run_on_database(
            *environment, false,
            [&](db::Database& database, redis::Commands*) -> boost::asio::awaitable<int> {
                db::Pool& pool = database.local();
                const auto now = std::chrono::system_clock::now();
                const auto account = co_await db::find_account(pool, key, now);
                if (!account) {
                    std::fprintf(stderr, "[sessions:revoke] no user found for %s=%s\n",
                                 key.kind == db::UserKey::Kind::id ? "id" : "email",
                                 key.value.c_str());
                    co_return 1;
                }
                const auto revoked = co_await db::revoke_sessions(pool, account->id, now);
                std::printf("[sessions:revoke] revoked %lld session(s) of %s (%s)\n",
                            static_cast<long long>(revoked), account->id.c_str(),
                            account->email.c_str());
                co_await record_cli_event(
                    pool, auth::AuditType::sessions_revoked, account->id, account->email,
                    R"({"by":"cli","count":)" + std::to_string(revoked) + "}", "[sessions:revoke]");
                co_return 0;
            });
    } catch (const std::exception& e) {
        std::fprintf(stderr, "[sessions:revoke] failed to revoke sessions: %s\n", e.what());
        return 1;
    }
}

}  // namespace

void add_sessions(CLI::App& app, Runner& chosen) {
    auto* sessions = app.add_subcommand("sessions", "Sessions: cleanup and revocation");
    sessions->require_subcommand(1);
    sessions
        ->add_subcommand("cleanup",
                         "Delete revoked sessions and those idle past JWT_REFRESH_EXPIRY, once")
        ->callback([&chosen] { chosen = cleanup; });

    auto args = std::make_shared<RevokeArgs>();
    auto* revoke_cmd = sessions->add_subcommand(
        "revoke", "End every session of an account (its refresh tokens stop working)");
    revoke_cmd->add_option("--email", args->email, "The account's email (any case)");
    revoke_cmd->add_option("--id", args->id, "The account's id");
    revoke_cmd->callback([&chosen, args] { chosen = [args] { return revoke(*args); }; });
}

}  // namespace portcullis::cli
