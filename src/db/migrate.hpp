// Embedded schema migrations and a runner that keeps Prisma's `_prisma_migrations` bookkeeping
// (contract 7.1, 7.3; decisions D), so a database migrated by either tool is recognized by the
// other. Blocking libpq: it runs from the CLI and before the server starts, never on an I/O thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "db/dsn.hpp"

namespace portcullis::db {

struct Migration {
    std::string_view name;      // folder name, e.g. `20251013212217_add_user_and_session`
    std::string_view sql;       // the exact file bytes
    std::string_view checksum;  // recorded in `_prisma_migrations.checksum` (lower-case hex)
};

// Every embedded migration, sorted by name.
const std::vector<Migration>& embedded_migrations();

struct DeployResult {
    bool ok = false;
    std::vector<std::string> applied;  // names applied by this run, in order
    std::string error;                 // set when !ok; never contains a password
};

// `migrate deploy` of contract 7.3: advisory lock 72707369 (10 s timeout), create the bookkeeping
// table on an empty schema, refuse while a failed migration is unresolved, apply what is missing.
DeployResult migrate_deploy(const ConnectionSettings& settings);

struct MigrationStatus {
    std::string name;
    enum class State { applied, pending, failed, checksum_mismatch, unknown_in_database } state;
    std::string detail;  // e.g. the start time and logs of a failed one
};
struct StatusResult {
    bool ok = false;
    std::vector<MigrationStatus> migrations;
    std::string error;
};

// `migrate status`: what is applied, pending, failed or differs from the embedded checksums
// (checksums compared as Prisma does: as-is, CRLF→LF, LF→CRLF, legacy unpadded hex).
StatusResult migrate_status(const ConnectionSettings& settings);

}  // namespace portcullis::db
