// `portcullis audit list [--email E] [--since T] [--type T] [--limit N] [--json]`: the security
// events of the AuditEvent table (issue #16), newest first, for the audits the reference's
// runbook asks operators for ("audit ADMIN assignments regularly").
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <string>

#include "auth/audit.hpp"
#include "cli/command_support.hpp"
#include "cli/commands/commands.hpp"
#include "config/parse.hpp"
#include "db/audit_store.hpp"
#include "db/database.hpp"
#include "util/json_text.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace portcullis::cli {
namespace {

struct ListArgs {
    std::string email;
    std::string since;
    std::string type;
    int limit = 100;
    bool json = false;
};

// `--since`: a duration back from now (`24h`, `7d`, the durations of the configuration) or a UTC
// date or time (`2026-01-31`, `2026-01-31T12:00:00Z`, `2026-01-31 12:00:00.5`).
std::optional<db::SystemTime> parse_since(const std::string& text, std::string& error) {
    std::string ignored;
    if (const auto ago = config::parse_positive_duration("--since", text, ignored)) {
        return std::chrono::system_clock::now() - *ago;
    }
    std::string stamp = text;
    if (!stamp.empty() && (stamp.back() == 'Z' || stamp.back() == 'z')) stamp.pop_back();
    if (stamp.size() == 10) stamp += " 00:00:00";
    if (stamp.size() > 10 && (stamp[10] == 'T' || stamp[10] == 't')) stamp[10] = ' ';
    // Years past 2200 do not fit the clock (nanoseconds since 1970 in 64 bits).
    if (const auto at = db::from_sql_timestamp(stamp); at && stamp.compare(0, 4, "2200") <= 0) {
        return at;
    }
    error =
        "--since must be a duration such as 24h or 7d, or a UTC date or time such as "
        "2026-01-31 or 2026-01-31T12:00:00Z";
    return std::nullopt;
}

std::string or_dash(const std::string& text) {
    return text.empty() ? "-" : text;
}

int list(const ListArgs& args) {
    db::AuditFilter filter;
    filter.limit = args.limit;
    if (!args.email.empty()) filter.email = util::to_lower(util::trim(args.email));
    if (!args.type.empty()) {
        if (!auth::audit_type_from(args.type)) {
            std::fprintf(stderr, "[audit:list] unknown event type \"%s\"\n", args.type.c_str());
            return 1;
        }
        filter.type = args.type;
    }
    if (!args.since.empty()) {
        std::string error;
        filter.since = parse_since(args.since, error);
        if (!filter.since) {
            std::fprintf(stderr, "[audit:list] %s\n", error.c_str());
            return 1;
        }
    }
    const auto environment = load_environment({.database = true}, ProblemStyle::text);
    if (!environment) return 1;
    try {
        return run_on_database(
            *environment, false,
            [&](db::Database& database, redis::Commands*) -> boost::asio::awaitable<int> {
                // One more than asked for tells whether the list was cut.
                db::AuditFilter query = filter;
                query.limit = filter.limit + 1;
                auto events = co_await db::list_audit_events(database.local(), query);
                const bool truncated = events.size() > static_cast<std::size_t>(filter.limit);
                if (truncated) events.pop_back();
                if (args.json) {
                    std::string out = "[";
                    for (std::size_t i = 0; i < events.size(); ++i) {
                        if (i > 0) out += ',';
                        auth::append_event_json(out, events[i], true);
                    }
                    std::printf("%s]\n", out.c_str());
                    co_return 0;
                }
                for (const auto& event : events) {
                    std::printf("%s  %-30s  %s  %s  ip=%s  %s\n",
                                util::format_iso8601_ms(event.at).c_str(), event.type.c_str(),
                                or_dash(event.email).c_str(), or_dash(event.user_id).c_str(),
                                or_dash(event.ip).c_str(), event.detail_json.c_str());
                }
                std::printf("%zu event(s)%s\n", events.size(),
                            truncated ? " shown; more exist (raise --limit)" : "");
                co_return 0;
            });
    } catch (const std::exception& e) {
        std::fprintf(stderr, "[audit:list] failed to read the events: %s\n", e.what());
        return 1;
    }
}

}  // namespace

void add_audit(CLI::App& app, Runner& chosen) {
    auto* audit = app.add_subcommand("audit", "Security events: who logged in, changed what");
    audit->require_subcommand(1);
    auto args = std::make_shared<ListArgs>();
    auto* list_cmd =
        audit->add_subcommand("list", "List security events, newest first (AuditEvent table)");
    list_cmd->add_option("--email", args->email,
                         "Only the events of this account (any case), or naming this e-mail");
    list_cmd->add_option("--since", args->since,
                         "Only events since a duration ago (24h, 7d) or a UTC date/time");
    list_cmd->add_option("--type", args->type, "Only events of this type, e.g. role.changed");
    list_cmd->add_option("--limit", args->limit, "At most this many events (default 100)")
        ->check(CLI::PositiveNumber);
    list_cmd->add_flag("--json", args->json, "Print one JSON array");
    list_cmd->callback([&chosen, args] { chosen = [args] { return list(*args); }; });
}

}  // namespace portcullis::cli
