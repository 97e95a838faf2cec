// `portcullis migrate deploy|status` (contract 7.3; decisions E.3: DATABASE_URL is all they need).
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/command_support.hpp"
#include "cli/commands/commands.hpp"
#include "cli/commands/migrate_run.hpp"
#include "db/migrate.hpp"
#include "observability/logger.hpp"

namespace portcullis::cli {
namespace {
using observability::Level;
using observability::LogFields;
using observability::Logger;

const config::Scope kScope{.database = true};

int migrate_deploy() {
    Logger logger(Level::info);
    const auto environment = load_environment(kScope, ProblemStyle::json_log, &logger);
    if (!environment) return 1;
    return run_migrations(*environment->database, logger) ? 0 : 1;
}

const char* label_of(db::MigrationStatus::State state) {
    using State = db::MigrationStatus::State;
    switch (state) {
        case State::applied:
            return "applied";
        case State::pending:
            return "pending";
        case State::failed:
            return "failed";
        case State::checksum_mismatch:
            return "checksum-mismatch";
        case State::unknown_in_database:
            return "unknown";
    }
    return "unknown";
}

int migrate_status() {
    Logger logger(Level::info);
    const auto environment = load_environment(kScope, ProblemStyle::json_log, &logger);
    if (!environment) return 1;
    const auto status = db::migrate_status(*environment->database);
    if (!status.ok) {
        std::fprintf(stderr, "migrate status failed: %s\n", status.error.c_str());
        return 1;
    }
    bool clean = true;
    for (const auto& m : status.migrations) {
        clean = clean && m.state == db::MigrationStatus::State::applied;
        std::printf("%-18s %s%s%s\n", label_of(m.state), m.name.c_str(),
                    m.detail.empty() ? "" : "  ", m.detail.c_str());
    }
    std::printf("%s\n",
                clean ? "Database schema is up to date." : "Database schema is not up to date.");
    return clean ? 0 : 1;
}

}  // namespace

bool run_migrations(const db::ConnectionSettings& settings, Logger& logger) {
    const auto result = db::migrate_deploy(settings);
    for (const auto& name : result.applied) {
        logger.log(Level::info, "Migration applied", LogFields().str("migration", name));
    }
    if (!result.ok) {
        logger.log(Level::fatal, "Migration failed", LogFields().error("Error", result.error));
        return false;
    }
    logger.log(Level::info,
               result.applied.empty() ? "No pending migrations to apply"
                                      : "All migrations have been applied",
               LogFields().num("applied", static_cast<std::int64_t>(result.applied.size())));
    return true;
}

void add_migrate(CLI::App& app, Runner& chosen) {
    auto* migrate = app.add_subcommand("migrate", "Database migrations (Prisma-compatible)");
    migrate->require_subcommand(1);
    migrate->add_subcommand("deploy", "Apply every pending migration (needs only DATABASE_URL)")
        ->callback([&chosen] { chosen = migrate_deploy; });
    migrate
        ->add_subcommand("status",
                         "List applied, pending, failed and modified migrations (exit 1 unless "
                         "up to date)")
        ->callback([&chosen] { chosen = migrate_status; });
}

}  // namespace portcullis::cli
