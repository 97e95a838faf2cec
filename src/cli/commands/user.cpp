// `portcullis user set-role | bootstrap-first-admin | show | list`: the reference's two role
// scripts (contract 13.1, 13.2: same messages, streams and exit codes, under the Portcullis
// command line) and the audit commands its runbook asks operators for.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "cli/command_support.hpp"
#include "cli/commands/cli_audit.hpp"
#include "cli/commands/commands.hpp"
#include "db/admin_store.hpp"
#include "db/database.hpp"
#include "util/json_text.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace portcullis::cli {
namespace {

// Only what these commands read (decisions E.3): the database, and the refresh lifetime that
// decides which sessions still count as active.
const config::Scope kScope{.database = true, .refresh_expiry = true};

struct RoleArgs {
    std::string email;
    std::string id;
    std::string role;
    bool revoke_sessions = false;
};

// One role command: its message prefix, its usage text and what it does on success.
struct RoleCommand {
    const char* prefix;  // `[user:set-role]`: operators' log searches depend on it
    const char* usage;
    const char* failure;       // the database-error message
    const char* after_update;  // printed after a successful change, or nullptr
};

const RoleCommand kSetRole{
    "[user:set-role]",
    "Usage:\n"
    "  portcullis user set-role (--email user@example.com | --id <uuid>) --role <ADMIN|USER> "
    "[--revoke-sessions]\n"
    "\n"
    "Examples:\n"
    "  portcullis user set-role --email admin@example.com --role ADMIN\n"
    "  portcullis user set-role --id 6f1c2a4e-8b0d-4c55-9a7e-2f3b4c5d6e7f --role USER "
    "--revoke-sessions\n",
    "failed to update role", nullptr};

const RoleCommand kBootstrap{
    "[bootstrap-first-admin]",
    "Usage:\n"
    "  portcullis user bootstrap-first-admin (--email user@example.com | --id <uuid>)\n"
    "\n"
    "Examples:\n"
    "  portcullis user bootstrap-first-admin --email admin@example.com\n"
    "  portcullis user bootstrap-first-admin --id 6f1c2a4e-8b0d-4c55-9a7e-2f3b4c5d6e7f\n"
    "\n"
    "Tip: the user must register first (POST /auth/register); this only promotes an existing "
    "account.\n",
    "failed to promote user",
    "[bootstrap-first-admin] remove this helper once your app owns admin creation."};

std::string upper(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
}

// The selector an operator gave: id wins over email (contract 13.1).
db::UserKey key_of(const std::string& email, const std::string& id) {
    if (!id.empty()) return {db::UserKey::Kind::id, id};
    return {db::UserKey::Kind::email, email};
}

std::string descriptor(const db::UserKey& key) {
    return (key.kind == db::UserKey::Kind::id ? "id=" : "email=") + key.value;
}

std::chrono::system_clock::time_point active_since(const config::Config& config) {
    return std::chrono::system_clock::now() - config.jwt_refresh_expiry;
}

int set_role(const RoleCommand& command, const RoleArgs& args) {
    if ((args.email.empty() && args.id.empty()) || args.role.empty()) {
        std::fputs(command.usage, stdout);
        return 1;
    }
    const std::string role = upper(args.role);
    if (role != "USER" && role != "ADMIN") {
        std::fprintf(stderr, "%s invalid role \"%s\". Expected one of: USER, ADMIN\n",
                     command.prefix, args.role.c_str());
        return 1;
    }
    if (!args.email.empty() && !args.id.empty()) {
        std::fprintf(stderr, "%s both --email and --id provided; defaulting to --id\n",
                     command.prefix);
    }
    const auto environment = load_environment(kScope, ProblemStyle::text);
    if (!environment) return 1;
    const db::UserKey key = key_of(args.email, args.id);
    try {
        return run_on_database(
            *environment, false,
            [&](db::Database& database, redis::Commands*) -> boost::asio::awaitable<int> {
                db::Pool& pool = database.local();
                const auto now = std::chrono::system_clock::now();
                const auto account =
                    co_await db::find_account(pool, key, active_since(environment->config));
                if (!account) {
                    std::fprintf(stderr, "%s no user found for %s\n", command.prefix,
                                 descriptor(key).c_str());
                    co_return 1;
                }
                std::optional<std::string> previous;
                if (account->role != role) {
                    previous = co_await db::change_role(pool, account->id, role, now);
                }
                if (previous) {
                    std::printf("%s updated %s (%s): %s -> %s\n", command.prefix,
                                account->id.c_str(), account->email.c_str(), previous->c_str(),
                                role.c_str());
                    co_await record_cli_event(
                        pool, auth::AuditType::role_changed, account->id, account->email,
                        R"({"from":")" + *previous + R"(","to":")" + role + R"(","by":"cli"})",
                        command.prefix);
                    if (command.after_update != nullptr) std::printf("%s\n", command.after_update);
                } else {
                    std::printf("%s no change: %s already has role %s\n", command.prefix,
                                descriptor(key).c_str(), role.c_str());
                }
                // The runbook's "rotate sessions after a demotion", without SQL.
                if (args.revoke_sessions) {
                    const auto revoked = co_await db::revoke_sessions(pool, account->id, now);
                    std::printf("%s revoked %lld session(s) of %s\n", command.prefix,
                                static_cast<long long>(revoked), account->id.c_str());
                    co_await record_cli_event(
                        pool, auth::AuditType::sessions_revoked, account->id, account->email,
                        R"({"by":"cli","count":)" + std::to_string(revoked) + "}", command.prefix);
                }
                co_return 0;
            });
    } catch (const std::exception& e) {
        std::fprintf(stderr, "%s %s: %s\n", command.prefix, command.failure, e.what());
        return 1;
    }
}

std::string account_json(const db::AccountSummary& account) {
    using util::append_json_string;
    std::string out = "{\"id\":";
    append_json_string(out, account.id);
    out += ",\"email\":";
    append_json_string(out, account.email);
    out += ",\"role\":";
    append_json_string(out, account.role);
    out += ",\"emailVerifiedAt\":";
    if (account.email_verified_at) {
        append_json_string(out, util::format_iso8601_ms(*account.email_verified_at));
    } else {
        out += "null";
    }
    out += ",\"createdAt\":";
    append_json_string(out, util::format_iso8601_ms(account.created_at));
    out += ",\"activeSessions\":" + std::to_string(account.active_sessions) + "}";
    return out;
}

std::string verified_text(const db::AccountSummary& account) {
    return account.email_verified_at ? util::format_iso8601_ms(*account.email_verified_at) : "no";
}

struct ShowArgs {
    std::string email;
    std::string id;
    bool json = false;
};

int show(const ShowArgs& args) {
    if (args.email.empty() == args.id.empty()) {
        std::fprintf(stderr, "[user:show] give exactly one of --email or --id\n");
        return 1;
    }
    const auto environment = load_environment(kScope, ProblemStyle::text);
    if (!environment) return 1;
    // Emails are stored normalized (contract 4.1), so any spelling of the address finds it.
    const db::UserKey key = args.id.empty() ? db::UserKey{db::UserKey::Kind::email,
                                                          util::to_lower(util::trim(args.email))}
                                            : db::UserKey{db::UserKey::Kind::id, args.id};
    try {
        return run_on_database(
            *environment, false,
            [&](db::Database& database, redis::Commands*) -> boost::asio::awaitable<int> {
                db::Pool& pool = database.local();
                const auto account =
                    co_await db::find_account(pool, key, active_since(environment->config));
                if (!account) {
                    std::fprintf(stderr, "[user:show] no user found for %s\n",
                                 descriptor(key).c_str());
                    co_return 1;
                }
                if (args.json) {
                    std::printf("%s\n", account_json(*account).c_str());
                    co_return 0;
                }
                std::printf(
                    "id:        %s\nemail:     %s\nrole:      %s\nverified:  %s\n"
                    "created:   %s\nsessions:  %lld active\n",
                    account->id.c_str(), account->email.c_str(), account->role.c_str(),
                    verified_text(*account).c_str(),
                    util::format_iso8601_ms(account->created_at).c_str(),
                    static_cast<long long>(account->active_sessions));
                co_return 0;
            });
    } catch (const std::exception& e) {
        std::fprintf(stderr, "[user:show] failed to read the account: %s\n", e.what());
        return 1;
    }
}

struct ListArgs {
    std::string role;
    int limit = 100;
    bool json = false;
};

int list(const ListArgs& args) {
    std::optional<std::string> role;
    if (!args.role.empty()) {
        role = upper(args.role);
        if (*role != "USER" && *role != "ADMIN") {
            std::fprintf(stderr, "[user:list] invalid role \"%s\". Expected one of: USER, ADMIN\n",
                         args.role.c_str());
            return 1;
        }
    }
    const auto environment = load_environment(kScope, ProblemStyle::text);
    if (!environment) return 1;
    try {
        return run_on_database(
            *environment, false,
            [&](db::Database& database, redis::Commands*) -> boost::asio::awaitable<int> {
                db::Pool& pool = database.local();
                // One more than asked for tells whether the list was cut.
                auto accounts = co_await db::list_accounts(pool, role, args.limit + 1,
                                                           active_since(environment->config));
                const bool truncated = accounts.size() > static_cast<std::size_t>(args.limit);
                if (truncated) accounts.pop_back();
                if (args.json) {
                    std::string out = "[";
                    for (std::size_t i = 0; i < accounts.size(); ++i) {
                        if (i > 0) out += ',';
                        out += account_json(accounts[i]);
                    }
                    std::printf("%s]\n", out.c_str());
                    co_return 0;
                }
                for (const auto& account : accounts) {
                    std::printf("%s  %s  %s  verified=%s  created=%s  sessions=%lld\n",
                                account.id.c_str(), account.email.c_str(), account.role.c_str(),
                                verified_text(account).c_str(),
                                util::format_iso8601_ms(account.created_at).c_str(),
                                static_cast<long long>(account.active_sessions));
                }
                std::printf("%zu account(s)%s\n", accounts.size(),
                            truncated ? " shown; more exist (raise --limit)" : "");
                co_return 0;
            });
    } catch (const std::exception& e) {
        std::fprintf(stderr, "[user:list] failed to list accounts: %s\n", e.what());
        return 1;
    }
}

// The reference scripts' argument rules (contract 13): `--flag value` or `--flag=value`, unknown
// arguments ignored, an empty value counts as missing, --help prints the usage and exits 0.
CLI::App* add_role_command(CLI::App& user, const char* name, const char* description,
                           const RoleCommand& command, const std::shared_ptr<RoleArgs>& args) {
    auto* sub = user.add_subcommand(name, description);
    sub->allow_extras();
    sub->add_option("--email", args->email, "The account's email, exactly as stored")
        ->expected(0, 1);
    sub->add_option("--id", args->id, "The account's id (wins over --email)")->expected(0, 1);
    const std::string usage = command.usage;
    sub->formatter_fn([usage](const CLI::App* app, const std::string&, CLI::AppFormatMode mode) {
        return usage + "\n" + CLI::Formatter().make_groups(app, mode);
    });
    return sub;
}

}  // namespace

void add_user(CLI::App& app, Runner& chosen) {
    auto* user = app.add_subcommand("user", "Accounts: roles and audits");
    user->require_subcommand(1);

    auto set_args = std::make_shared<RoleArgs>();
    auto* set = add_role_command(*user, "set-role", "Set an account's role (USER or ADMIN)",
                                 kSetRole, set_args);
    set->add_option("--role", set_args->role, "USER or ADMIN")->expected(0, 1);
    set->add_flag("--revoke-sessions", set_args->revoke_sessions,
                  "Also end every session of the account (e.g. after a demotion)");
    set->callback(
        [&chosen, set_args] { chosen = [set_args] { return set_role(kSetRole, *set_args); }; });

    auto boot_args = std::make_shared<RoleArgs>();
    auto* boot = add_role_command(*user, "bootstrap-first-admin",
                                  "Promote a registered account to ADMIN", kBootstrap, boot_args);
    boot->callback([&chosen, boot_args] {
        chosen = [boot_args] {
            RoleArgs args = *boot_args;
            args.role = "ADMIN";
            return set_role(kBootstrap, args);
        };
    });

    auto show_args = std::make_shared<ShowArgs>();
    auto* show_cmd = user->add_subcommand("show", "Show an account: role, verification, sessions");
    show_cmd->add_option("--email", show_args->email, "The account's email (any case)");
    show_cmd->add_option("--id", show_args->id, "The account's id");
    show_cmd->add_flag("--json", show_args->json, "Print one JSON object");
    show_cmd->callback([&chosen, show_args] { chosen = [show_args] { return show(*show_args); }; });

    auto list_args = std::make_shared<ListArgs>();
    auto* list_cmd = user->add_subcommand("list", "List accounts, e.g. every ADMIN (audits)");
    list_cmd->add_option("--role", list_args->role, "Only accounts with this role (USER or ADMIN)");
    list_cmd->add_option("--limit", list_args->limit, "At most this many accounts (oldest first)")
        ->check(CLI::PositiveNumber);
    list_cmd->add_flag("--json", list_args->json, "Print one JSON array");
    list_cmd->callback([&chosen, list_args] { chosen = [list_args] { return list(*list_args); }; });
}

}  // namespace portcullis::cli
