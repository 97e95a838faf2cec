// `portcullis login-attempts clear --email E [--ip A]` (decisions A.2): deletes the lockout
// records of an email (optionally of one client address, in each form it may have been recorded
// under) from the table and, when the service uses Redis, from Redis. Without --ip the account's
// MFA failure count (issue #16, one per account) is cleared too.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "auth/ports.hpp"
#include "cli/command_support.hpp"
#include "cli/commands/commands.hpp"
#include "db/auth_store.hpp"
#include "db/database.hpp"
#include "redis/client.hpp"
#include "redis/login_attempts.hpp"
#include "util/ip_address.hpp"
#include "util/strings.hpp"

namespace portcullis::cli {
namespace {

struct ClearArgs {
    std::string email;
    std::optional<std::string> ip;  // absent: every address of the email
};

// The forms an address may have been recorded under: a direct IPv4 client is seen as
// `::ffff:a.b.c.d` on the dual-stack listener, one behind a proxy as `a.b.c.d` (contract 2.4).
std::vector<std::string> recorded_forms(const std::string& ip) {
    std::vector<std::string> forms{ip};
    const auto parsed = util::parse_ip(ip);
    if (!parsed) return forms;
    const auto unmapped = util::unmap_ipv4(*parsed);
    if (unmapped.v6) return forms;
    const std::string plain = util::to_string(unmapped);
    for (std::string form : {plain, "::ffff:" + plain}) {
        if (std::find(forms.begin(), forms.end(), form) == forms.end()) forms.push_back(form);
    }
    return forms;
}

// Deleting needs no lockout rule, so the counters are built with the defaults of contract 5.7.
const auth::LockoutPolicy kAnyPolicy{5, std::chrono::minutes(15), std::chrono::minutes(15)};

boost::asio::awaitable<int> clear(db::Database& database, redis::Commands* client,
                                  const std::string& email, const std::optional<std::string>& ip) {
    const std::vector<std::string> forms = ip ? recorded_forms(*ip) : std::vector<std::string>{};
    db::PgAttemptCounter table(database, kAnyPolicy);
    db::PgAttemptCounter mfa_table(database, kAnyPolicy, db::AttemptTable::mfa_attempt);
    if (ip) {
        for (const auto& form : forms) co_await table.clear(email, form);
    } else {
        co_await table.clear_email(email);
        co_await mfa_table.clear_email(email);
    }
    if (client != nullptr) {
        if (!co_await client->wait_connected(std::chrono::seconds(5))) {
            std::fprintf(stderr,
                         "login-attempts clear failed: Redis did not answer within 5 s; the table "
                         "rows were cleared\n");
            co_return 1;
        }
        redis::RedisAttemptCounter keys(*client, kAnyPolicy);
        redis::RedisAttemptCounter mfa_keys(*client, kAnyPolicy, redis::kMfaAttemptPrefix);
        if (ip) {
            for (const auto& form : forms) co_await keys.clear(email, form);
        } else {
            co_await keys.clear_email(email);
            co_await mfa_keys.clear_email(email);
        }
    }
    co_return 0;
}

int clear_login_attempts(const ClearArgs& args) {
    const auto environment =
        load_environment({.database = true, .redis = true}, ProblemStyle::text);
    if (!environment) return 1;
    // Records are keyed by the normalized email, as login stores them (contract 5.7).
    const std::string email = util::to_lower(util::trim(args.email));
    try {
        const int code = run_on_database(*environment, true,
                                         [&](db::Database& database, redis::Commands* client) {
                                             return clear(database, client, email, args.ip);
                                         });
        if (code != 0) return code;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "login-attempts clear failed: %s\n", e.what());
        return 1;
    }
    std::printf("Cleared login attempts for %s%s%s\n", email.c_str(), args.ip ? " from " : "",
                args.ip ? args.ip->c_str() : "");
    return 0;
}

}  // namespace

void add_login_attempts(CLI::App& app, Runner& chosen) {
    auto args = std::make_shared<ClearArgs>();
    auto* attempts = app.add_subcommand("login-attempts", "Login lockout bookkeeping");
    attempts->require_subcommand(1);
    auto* clear_cmd = attempts->add_subcommand(
        "clear", "Unlock logins: delete the lockout records (Redis keys and table rows)");
    clear_cmd->add_option("--email", args->email, "The account's email (any case)")->required();
    clear_cmd->add_option("--ip", args->ip, "Only the records of this client address");
    clear_cmd->callback(
        [&chosen, args] { chosen = [args] { return clear_login_attempts(*args); }; });
}

}  // namespace portcullis::cli
