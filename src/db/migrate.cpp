// The `migrate deploy` / `migrate status` runner of contract 7.3 over blocking libpq: Prisma's
// advisory lock, `_prisma_migrations` bookkeeping and messages, so either tool can follow the
// other.
#include "db/migrate.hpp"

#include <libpq-fe.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/random.hpp"
#include "util/strings.hpp"

namespace portcullis::db {
namespace {

// Prisma's key for `pg_advisory_lock`: the same key makes Prisma and us exclude each other.
constexpr const char* kLockSql = "SELECT pg_advisory_lock(72707369)";
constexpr const char* kUnlockSql = "SELECT pg_advisory_unlock(72707369)";
// Prisma waits 10 s for the lock; lock_timeout covers advisory-lock waits server-side.
constexpr const char* kLockTimeoutSql = "SET lock_timeout = '10s'";
constexpr const char* kResolveHint =
    "Read more about how to resolve migration issues in a production database: "
    "https://pris.ly/d/migrate-resolve";
// started_at as Prisma prints it in its messages.
constexpr const char* kStartedAtText =
    "to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS \"UTC\"')";

struct ConnDeleter {
    void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultDeleter {
    void operator()(PGresult* result) const { PQclear(result); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;

class Result {
public:
    explicit Result(PGresult* result) : result_(result) {}

    bool ok() const {
        const auto status = PQresultStatus(result_.get());
        return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
    }
    int rows() const { return PQntuples(result_.get()); }
    bool is_null(int row, int column) const { return PQgetisnull(result_.get(), row, column) != 0; }
    std::string value(int row, int column) const {
        return {PQgetvalue(result_.get(), row, column),
                static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
    }
    std::string sqlstate() const {
        const char* code = PQresultErrorField(result_.get(), PG_DIAG_SQLSTATE);
        return code != nullptr ? code : "";
    }
    // The server's message (or libpq's, when the connection failed), without the trailing newline.
    std::string error_text() const {
        const char* text = PQresultErrorMessage(result_.get());
        return std::string(util::trim(text != nullptr ? text : ""));
    }

private:
    std::unique_ptr<PGresult, ResultDeleter> result_;
};

// Notices (e.g. "schema already exists, skipping") would go to stderr by default; they are noise.
void ignore_notice(void* /*arg*/, const char* /*message*/) {}

std::string password_of(const ConnectionSettings& settings) {
    for (const auto& [key, value] : settings.params) {
        if (key == "password") return value;
    }
    return {};
}

// Belt and braces for decisions B.3: libpq's messages do not echo the password, but nothing that
// leaves this file may contain it even if a server or library version starts to.
std::string scrub(std::string text, const ConnectionSettings& settings) {
    const std::string password = password_of(settings);
    if (password.size() < 4) return text;
    std::size_t pos = 0;
    while ((pos = text.find(password, pos)) != std::string::npos) {
        text.replace(pos, password.size(), "***");
        pos += 3;
    }
    return text;
}

class Session {
public:
    // Connects with exactly the parsed parameters; nullopt with `error` set on failure.
    static std::optional<Session> open(const ConnectionSettings& settings, std::string& error) {
        std::vector<const char*> keywords;
        std::vector<const char*> values;
        bool has_timeout = false;
        for (const auto& [key, value] : settings.params) {
            keywords.push_back(key.c_str());
            values.push_back(value.c_str());
            has_timeout = has_timeout || key == "connect_timeout";
        }
        // A CLI step must not hang forever on an unreachable host (Prisma: 5 s by default).
        if (!has_timeout) {
            keywords.push_back("connect_timeout");
            values.push_back("10");
        }
        keywords.push_back(nullptr);
        values.push_back(nullptr);
        // expand_dbname = 0: the dbname is a name, never a second connection string.
        Conn conn(PQconnectdbParams(keywords.data(), values.data(), 0));
        if (!conn) {
            error = "Can't reach database server at " + settings.masked + ": out of memory";
            return std::nullopt;
        }
        if (PQstatus(conn.get()) != CONNECTION_OK) {
            error = scrub("Can't reach database server at " + settings.masked + ": " +
                              std::string(util::trim(PQerrorMessage(conn.get()))),
                          settings);
            return std::nullopt;
        }
        PQsetNoticeProcessor(conn.get(), ignore_notice, nullptr);
        Session session(std::move(conn), settings);
        if (!settings.schema.empty()) {
            // As Prisma does: the search_path names the schema as a quoted identifier. The
            // connection option alone would fold `?schema=Tenant` to `tenant`.
            Result set =
                session.exec("SET search_path TO " + session.quote_identifier(settings.schema));
            if (!set.ok()) {
                error = session.failure("Cannot set the search_path", set);
                return std::nullopt;
            }
        }
        return session;
    }

    Result exec(const std::string& sql) { return Result(PQexec(conn_.get(), sql.c_str())); }

    // Parameterized statement; nullopt parameters are SQL NULL. Values travel as text.
    Result exec(const std::string& sql, const std::vector<std::optional<std::string>>& params) {
        std::vector<const char*> values;
        values.reserve(params.size());
        for (const auto& param : params) values.push_back(param ? param->c_str() : nullptr);
        return Result(PQexecParams(conn_.get(), sql.c_str(), static_cast<int>(values.size()),
                                   nullptr, values.data(), nullptr, nullptr, 0));
    }

    // "<what>: <server message>" with any password removed.
    std::string failure(std::string_view what, const Result& result) const {
        return scrub(std::string(what) + ": " + result.error_text(), *settings_);
    }

    std::string quote_identifier(const std::string& name) const {
        char* quoted = PQescapeIdentifier(conn_.get(), name.c_str(), name.size());
        if (quoted == nullptr) return "\"" + name + "\"";
        std::string out(quoted);
        PQfreemem(quoted);
        return out;
    }

private:
    Session(Conn conn, const ConnectionSettings& settings)
        : conn_(std::move(conn)), settings_(&settings) {}

    Conn conn_;
    const ConnectionSettings* settings_;
};

// --- checksums (contract 7.3 step 6) ---

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
        return {};
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2U);
    for (unsigned int i = 0; i < length; ++i) {
        out.push_back(kHex[digest[i] >> 4U]);
        out.push_back(kHex[digest[i] & 0x0FU]);
    }
    return out;
}

// Old Prisma versions printed each byte with `{:x}`, dropping the leading zero of bytes < 0x10.
std::string legacy_unpadded(std::string_view padded_hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < padded_hex.size(); i += 2) {
        if (padded_hex[i] != '0') out.push_back(padded_hex[i]);
        out.push_back(padded_hex[i + 1]);
    }
    return out;
}

std::string replace_all(std::string_view text, std::string_view from, std::string_view to) {
    std::string out;
    std::size_t start = 0;
    std::size_t pos = 0;
    while ((pos = text.find(from, start)) != std::string_view::npos) {
        out.append(text.substr(start, pos - start));
        out.append(to);
        start = pos + from.size();
    }
    out.append(text.substr(start));
    return out;
}

// Whether a recorded checksum belongs to `migration`: the checksum we record (the contract's for
// the reference's five), or — as Prisma accepts — the SHA-256 of our script as-is, with CRLF→LF or
// with LF→CRLF; each also in the legacy unpadded form.
bool checksum_matches(std::string_view recorded, const Migration& migration) {
    const std::string actual = util::to_lower(util::trim(recorded));
    std::vector<std::string> expected = {
        std::string(migration.checksum),
        sha256_hex(migration.sql),
        sha256_hex(replace_all(migration.sql, "\r\n", "\n")),
        sha256_hex(replace_all(migration.sql, "\n", "\r\n")),
    };
    return std::any_of(expected.begin(), expected.end(), [&](const std::string& candidate) {
        return actual == candidate || actual == legacy_unpadded(candidate);
    });
}

// --- schema inspection ---

// The schema the bookkeeping lives in: current_schema(), i.e. the first existing schema of the
// search_path (which the `?schema=` parameter sets). Empty when none exists.
std::optional<std::string> current_schema(Session& session, std::string& error) {
    Result result = session.exec("SELECT current_schema()");
    if (!result.ok()) {
        error = session.failure("Cannot read the current schema", result);
        return std::nullopt;
    }
    if (result.rows() != 1 || result.is_null(0, 0)) return std::string{};
    return result.value(0, 0);
}

std::optional<bool> migrations_table_exists(Session& session, const std::string& schema,
                                            std::string& error) {
    Result result = session.exec(
        "SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
        "ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND c.relname = '_prisma_migrations' AND c.relkind IN ('r', 'p')",
        {schema});
    if (!result.ok()) {
        error = session.failure("Cannot inspect schema \"" + schema + "\"", result);
        return std::nullopt;
    }
    return result.rows() > 0;
}

// Prisma's emptiness test (P3005) looks at the schema's tables, views and enums.
std::optional<bool> schema_is_empty(Session& session, const std::string& schema,
                                    std::string& error) {
    Result result = session.exec(
        "SELECT (SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
        "ON n.oid = c.relnamespace "
        "WHERE n.nspname = $1 AND c.relkind IN ('r', 'p', 'v', 'm', 'f')) + "
        "(SELECT count(*) FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n "
        "ON n.oid = t.typnamespace WHERE n.nspname = $1 AND t.typtype = 'e')",
        {schema});
    if (!result.ok()) {
        error = session.failure("Cannot inspect schema \"" + schema + "\"", result);
        return std::nullopt;
    }
    return result.value(0, 0) == "0";
}

struct Row {
    std::string migration_name;
    std::string checksum;
    bool finished = false;
    bool rolled_back = false;
    std::string started_at;  // as Prisma prints it
    std::string logs;
};

std::optional<std::vector<Row>> read_rows(Session& session, const std::string& table,
                                          std::string& error) {
    Result result = session.exec(
        "SELECT migration_name, checksum, finished_at IS NOT NULL, rolled_back_at IS NOT NULL, " +
        std::string(kStartedAtText) + ", logs FROM " + table + " ORDER BY started_at, id");
    if (!result.ok()) {
        error = session.failure("Cannot read " + table, result);
        return std::nullopt;
    }
    std::vector<Row> rows;
    for (int i = 0; i < result.rows(); ++i) {
        rows.push_back(Row{result.value(i, 0), result.value(i, 1), result.value(i, 2) == "t",
                           result.value(i, 3) == "t", result.value(i, 4),
                           result.is_null(i, 5) ? std::string{} : result.value(i, 5)});
    }
    return rows;
}

std::string failed_description(const Row& row) {
    std::string text = "The `" + row.migration_name + "` migration started at " + row.started_at;
    const auto logs = util::trim(row.logs);
    if (logs.empty()) return text + " failed";
    return text + " failed with the following logs:\n" + std::string(logs);
}

// Holds the advisory lock for the life of the deploy; released explicitly (and in any case when
// the session ends).
class AdvisoryLock {
public:
    explicit AdvisoryLock(Session& session) : session_(&session) {}
    ~AdvisoryLock() {
        if (held_) session_->exec(kUnlockSql);
    }
    AdvisoryLock(const AdvisoryLock&) = delete;
    AdvisoryLock& operator=(const AdvisoryLock&) = delete;

    bool acquire(std::string& error) {
        Result timeout = session_->exec(kLockTimeoutSql);
        if (!timeout.ok()) {
            error = session_->failure("Cannot set lock_timeout", timeout);
            return false;
        }
        Result lock = session_->exec(kLockSql);
        if (!lock.ok()) {
            error = lock.sqlstate() == "55P03"
                        ? "Timed out trying to acquire a postgres advisory lock "
                          "(SELECT pg_advisory_lock(72707369)). Timeout: 10000ms. Is another "
                          "`migrate deploy` running?"
                        : session_->failure("Cannot take the migration advisory lock", lock);
            return false;
        }
        held_ = true;
        // The limit was for the lock wait only; migration scripts may wait longer on table locks.
        Result reset = session_->exec("RESET lock_timeout");
        if (!reset.ok()) {
            error = session_->failure("Cannot reset lock_timeout", reset);
            return false;
        }
        return true;
    }

private:
    Session* session_;
    bool held_ = false;
};

// Everything of `migrate deploy` after connecting; fills `result.applied` as it goes.
bool deploy(Session& session, const ConnectionSettings& settings, DeployResult& result) {
    AdvisoryLock lock(session);
    if (!lock.acquire(result.error)) return false;

    // Prisma creates the schema named by `?schema=` when it is missing.
    if (!settings.schema.empty()) {
        Result created = session.exec("CREATE SCHEMA IF NOT EXISTS " +
                                      session.quote_identifier(settings.schema));
        if (!created.ok()) {
            result.error =
                session.failure("Cannot create schema \"" + settings.schema + "\"", created);
            return false;
        }
    }
    const auto schema = current_schema(session, result.error);
    if (!schema) return false;
    if (schema->empty()) {
        result.error = "No schema of the search_path exists in the database at " + settings.masked;
        return false;
    }
    const std::string table = session.quote_identifier(*schema) + ".\"_prisma_migrations\"";

    const auto exists = migrations_table_exists(session, *schema, result.error);
    if (!exists) return false;
    if (!*exists) {
        const auto empty = schema_is_empty(session, *schema, result.error);
        if (!empty) return false;
        if (!*empty) {
            result.error =
                "The database schema is not empty. Read more about how to baseline an existing "
                "production database: https://pris.ly/d/migrate-baseline (schema \"" +
                *schema + "\" has tables but no _prisma_migrations table)";
            return false;
        }
        // Prisma's own definition, column for column (contract 7.3).
        Result created =
            session.exec("CREATE TABLE " + table +
                         " (\n"
                         "    \"id\"                    VARCHAR(36) PRIMARY KEY NOT NULL,\n"
                         "    \"checksum\"              VARCHAR(64) NOT NULL,\n"
                         "    \"finished_at\"           TIMESTAMPTZ,\n"
                         "    \"migration_name\"        VARCHAR(255) NOT NULL,\n"
                         "    \"logs\"                  TEXT,\n"
                         "    \"rolled_back_at\"        TIMESTAMPTZ,\n"
                         "    \"started_at\"            TIMESTAMPTZ NOT NULL DEFAULT now(),\n"
                         "    \"applied_steps_count\"   INTEGER NOT NULL DEFAULT 0\n"
                         ")");
        if (!created.ok()) {
            result.error = session.failure("Cannot create " + table, created);
            return false;
        }
    }

    const auto rows = read_rows(session, table, result.error);
    if (!rows) return false;
    std::string failed;
    std::set<std::string> applied;
    for (const Row& row : *rows) {
        if (!row.finished && !row.rolled_back) failed += "\n" + failed_description(row);
        if (!row.rolled_back) applied.insert(row.migration_name);
    }
    if (!failed.empty()) {
        result.error =
            "migrate found failed migrations in the target database, new migrations will not be "
            "applied. " +
            std::string(kResolveHint) + failed;
        return false;
    }

    for (const Migration& migration : embedded_migrations()) {
        if (applied.contains(std::string(migration.name))) continue;
        const std::string id = util::uuid_v4();
        const std::string name(migration.name);
        Result inserted =
            session.exec("INSERT INTO " + table +
                             " (id, checksum, started_at, migration_name, applied_steps_count) "
                             "VALUES ($1, $2, now(), $3, 0)",
                         {id, std::string(migration.checksum), name});
        if (!inserted.ok()) {
            result.error = session.failure("Cannot record migration `" + name + "`", inserted);
            return false;
        }
        // One simple-query batch: the server runs it as one implicit transaction, like Prisma.
        Result script = session.exec(std::string(migration.sql));
        if (!script.ok()) {
            const std::string code = script.sqlstate();
            std::string logs = (code.empty() ? "" : "Database error code: " + code + "\n\n") +
                               "Database error:\n" + script.error_text();
            logs = scrub(std::move(logs), settings);
            // Best effort: if the connection is gone the row simply stays unfinished, no logs.
            session.exec("UPDATE " + table + " SET logs = $2 WHERE id = $1", {id, logs});
            result.error =
                "A migration failed to apply. New migrations cannot be applied before the error "
                "is recovered from. " +
                std::string(kResolveHint) + "\n\nMigration name: " + name + "\n\n" + logs;
            return false;
        }
        Result stepped = session.exec(
            "UPDATE " + table + " SET applied_steps_count = applied_steps_count + 1 WHERE id = $1",
            {id});
        if (!stepped.ok()) {
            result.error = session.failure("Cannot record migration `" + name + "`", stepped);
            return false;
        }
        Result finished =
            session.exec("UPDATE " + table + " SET finished_at = now() WHERE id = $1", {id});
        if (!finished.ok()) {
            result.error = session.failure("Cannot record migration `" + name + "`", finished);
            return false;
        }
        result.applied.push_back(name);
    }
    return true;
}

}  // namespace

DeployResult migrate_deploy(const ConnectionSettings& settings) {
    DeployResult result;
    auto session = Session::open(settings, result.error);
    if (!session) return result;
    result.ok = deploy(*session, settings, result);
    return result;
}

StatusResult migrate_status(const ConnectionSettings& settings) {
    StatusResult result;
    auto session = Session::open(settings, result.error);
    if (!session) return result;

    // Read-only: a missing schema or bookkeeping table just means everything is pending.
    std::vector<Row> rows;
    const auto schema = current_schema(*session, result.error);
    if (!schema) return result;
    if (!schema->empty()) {
        const auto exists = migrations_table_exists(*session, *schema, result.error);
        if (!exists) return result;
        if (*exists) {
            const std::string table =
                session->quote_identifier(*schema) + ".\"_prisma_migrations\"";
            auto read = read_rows(*session, table, result.error);
            if (!read) return result;
            rows = std::move(*read);
        }
    }

    using State = MigrationStatus::State;
    std::set<std::string> embedded_names;
    for (const Migration& migration : embedded_migrations()) {
        const std::string name(migration.name);
        embedded_names.insert(name);
        const Row* failed = nullptr;
        const Row* finished = nullptr;
        for (const Row& row : rows) {
            if (row.migration_name != name || row.rolled_back) continue;
            if (!row.finished && failed == nullptr) failed = &row;
            if (row.finished) finished = &row;
        }
        if (failed != nullptr) {
            // One line: status prints a row per migration.
            std::string logs(util::trim(failed->logs));
            std::replace(logs.begin(), logs.end(), '\n', ' ');
            result.migrations.push_back(
                {name, State::failed,
                 "started at " + failed->started_at + (logs.empty() ? "" : ", logs: " + logs)});
        } else if (finished == nullptr) {
            result.migrations.push_back({name, State::pending, {}});
        } else if (!checksum_matches(finished->checksum, migration)) {
            result.migrations.push_back({name, State::checksum_mismatch,
                                         "recorded checksum " + finished->checksum + ", expected " +
                                             std::string(migration.checksum)});
        } else {
            result.migrations.push_back({name, State::applied, {}});
        }
    }
    std::set<std::string> unknown_reported;
    for (const Row& row : rows) {
        if (embedded_names.contains(row.migration_name)) continue;
        if (!unknown_reported.insert(row.migration_name).second) continue;
        result.migrations.push_back({row.migration_name, State::unknown_in_database,
                                     "recorded in the database but not embedded in this binary"});
    }
    result.ok = true;
    return result;
}

}  // namespace portcullis::db
