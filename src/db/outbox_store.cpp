// See outbox_store.hpp. Timestamps are the service's clock, as for every other table.
#include "db/outbox_store.hpp"

#include "auth/one_time_token.hpp"
#include "db/timestamp.hpp"
#include "db/token_store.hpp"
#include "util/random.hpp"

namespace portcullis::db {
namespace {
using auth::Task;

// SKIP LOCKED: replicas claiming at the same moment take different rows; the lease keeps a row
// away from everyone else until it runs out (a sender that died mid-send is retried then).
constexpr Statement kClaim{"outbox_claim", R"(WITH due AS (
         SELECT id FROM "EmailOutbox"
         WHERE status = 'pending' AND "availableAt" <= $1::timestamp(3)
         ORDER BY "availableAt"
         LIMIT $3::int
         FOR UPDATE SKIP LOCKED)
       UPDATE "EmailOutbox" o
       SET "availableAt" = $2::timestamp(3), attempts = o.attempts + 1,
           "updatedAt" = $1::timestamp(3)
       FROM due WHERE o.id = due.id
       RETURNING o.id, o.kind, o.email, o.token, o.attempts, o."userId")"};

// Queued request → token. `job` makes the statement a no-op when the row is no longer this
// attempt's; `old` voids older unused tokens (contract 5.6).
constexpr Statement kResolveReset{"outbox_resolve_reset", R"(WITH job AS (
         SELECT 1 FROM "EmailOutbox"
         WHERE id = $1 AND attempts = $2::int AND status = 'pending' AND token IS NULL)
       , u AS (
         SELECT id, email FROM "User"
         WHERE lower(email) = lower($3::text) AND EXISTS (SELECT 1 FROM job)
         ORDER BY id LIMIT 1)
       , old AS (
         UPDATE "PasswordResetToken" SET "usedAt" = $4::timestamp(3)
         WHERE "userId" IN (SELECT id FROM u) AND "usedAt" IS NULL)
       , t AS (
         INSERT INTO "PasswordResetToken" (id, "userId", "tokenHash", "expiresAt", "createdAt")
         SELECT $5, id, $6, $7::timestamp(3), $4::timestamp(3) FROM u)
       , o AS (
         UPDATE "EmailOutbox" SET token = $8, "userId" = u.id, email = u.email,
                                  "updatedAt" = $4::timestamp(3)
         FROM u WHERE "EmailOutbox".id = $1)
       SELECT email, id FROM u)"};

constexpr Statement kResolveVerification{"outbox_resolve_verification", R"(WITH job AS (
         SELECT 1 FROM "EmailOutbox"
         WHERE id = $1 AND attempts = $2::int AND status = 'pending' AND token IS NULL)
       , u AS (
         SELECT id, email FROM "User"
         WHERE email = $3 AND "emailVerifiedAt" IS NULL AND EXISTS (SELECT 1 FROM job))
       , old AS (
         UPDATE "VerificationToken" SET "usedAt" = $4::timestamp(3)
         WHERE "userId" IN (SELECT id FROM u) AND "usedAt" IS NULL)
       , t AS (
         INSERT INTO "VerificationToken" (id, "userId", "tokenHash", "expiresAt", "createdAt")
         SELECT $5, id, $6, $7::timestamp(3), $4::timestamp(3) FROM u)
       , o AS (
         UPDATE "EmailOutbox" SET token = $8, "userId" = u.id, email = u.email,
                                  "updatedAt" = $4::timestamp(3)
         FROM u WHERE "EmailOutbox".id = $1)
       SELECT email, id FROM u)"};

constexpr Statement kMarkDone{"outbox_mark_done", R"(UPDATE "EmailOutbox"
       SET status = $3, token = NULL, "lastError" = $4, "updatedAt" = $5::timestamp(3),
           "sentAt" = CASE WHEN $3 = 'sent' THEN $5::timestamp(3) END
       WHERE id = $1 AND attempts = $2::int AND status = 'pending')"};

constexpr Statement kMarkRetry{"outbox_mark_retry", R"(UPDATE "EmailOutbox"
       SET "availableAt" = $3::timestamp(3), "lastError" = $4, "updatedAt" = $5::timestamp(3)
       WHERE id = $1 AND attempts = $2::int AND status = 'pending')"};

constexpr Statement kVerificationExpiry{"outbox_verification_expiry", R"(SELECT "expiresAt"
       FROM "VerificationToken" WHERE "tokenHash" = $1 AND "usedAt" IS NULL)"};
constexpr Statement kResetExpiry{"outbox_reset_expiry", R"(SELECT "expiresAt"
       FROM "PasswordResetToken" WHERE "tokenHash" = $1 AND "usedAt" IS NULL)"};

constexpr Statement kReleaseToken{"outbox_release_token", R"(UPDATE "EmailOutbox"
       SET token = NULL, "updatedAt" = $3::timestamp(3)
       WHERE id = $1 AND attempts = $2::int AND status = 'pending')"};

constexpr Statement kPending{"outbox_pending",
                             R"(SELECT count(*) FROM "EmailOutbox" WHERE status = 'pending')"};

constexpr Statement kPurge{"outbox_purge", R"(DELETE FROM "EmailOutbox"
       WHERE status <> 'pending' AND "updatedAt" < $1::timestamp(3))"};

// `error` is a reference to a named value: a temporary with a destructor must not live across the
// caller's co_await (GCC 12 coroutine bugs).
Task<void> mark_done(const Database& database, const OutboxRow& row, std::string_view status,
                     const Param& error, auth::TimePoint now) {
    const std::vector<Param> params{row.id, std::to_string(row.attempts), std::string(status),
                                    error, to_sql_timestamp(now)};
    co_await database.local().execute(kMarkDone, params);
}
}  // namespace

Task<std::vector<OutboxRow>> PgOutbox::claim(auth::TimePoint now, auth::TimePoint lease_until,
                                             int limit) {
    const std::vector<Param> params{to_sql_timestamp(now), to_sql_timestamp(lease_until),
                                    std::to_string(limit)};
    const Result r = co_await database_.local().execute(kClaim, params);
    std::vector<OutboxRow> rows;
    for (int i = 0; i < r.rows(); ++i) {
        OutboxRow row;
        row.id = r.get(i, 0);
        row.kind = r.get(i, 1);
        row.email = r.get(i, 2);
        if (const auto stored = r.optional(i, 3)) {
            row.token = sealer_.open(*stored, row.id);
            row.token_unreadable = !row.token;
        }
        row.attempts = std::stoi(std::string(r.get(i, 4)));
        row.user_id = r.optional(i, 5);
        rows.push_back(std::move(row));
    }
    co_return rows;
}

Task<std::optional<ResolvedRequest>> PgOutbox::resolve(const OutboxRow& row, auth::TimePoint now) {
    const bool verification = row.kind == "verification";
    const Statement& statement = verification ? kResolveVerification : kResolveReset;
    const std::string stamp = to_sql_timestamp(now);
    const std::string expires = to_sql_timestamp(now + std::chrono::minutes(ttl_minutes(row.kind)));
    for (int attempt = 1;; ++attempt) {
        const std::string token = auth::new_one_time_token();
        const std::vector<Param> params{
            row.id,          std::to_string(row.attempts), row.email, stamp,
            util::uuid_v4(), auth::sha256_hex(token),      expires,   sealer_.seal(token, row.id)};
        try {
            const Result r = co_await database_.local().execute(statement, params);
            if (r.rows() == 0) co_return std::nullopt;
            co_return ResolvedRequest{std::string(r.get(0, 0)), token, std::string(r.get(0, 1))};
        } catch (const QueryError& e) {
            // Contract 5.6: a tokenHash collision is retried with a new token.
            if (!e.unique_violation() || attempt >= kTokenAttempts) throw;
        }
    }
}

Task<void> PgOutbox::mark_sent(const OutboxRow& row, auth::TimePoint now) {
    const Param no_error;
    co_await mark_done(database_, row, "sent", no_error, now);
}

Task<void> PgOutbox::mark_skipped(const OutboxRow& row, auth::TimePoint now) {
    const Param no_error;
    co_await mark_done(database_, row, "skipped", no_error, now);
}

Task<void> PgOutbox::mark_dead(const OutboxRow& row, std::string_view error, auth::TimePoint now) {
    const Param last_error{std::string(error)};
    co_await mark_done(database_, row, "dead", last_error, now);
}

Task<void> PgOutbox::mark_retry(const OutboxRow& row, std::string_view error,
                                auth::TimePoint retry_at, auth::TimePoint now) {
    const std::vector<Param> params{row.id, std::to_string(row.attempts),
                                    to_sql_timestamp(retry_at), std::string(error),
                                    to_sql_timestamp(now)};
    co_await database_.local().execute(kMarkRetry, params);
}

Task<std::int64_t> PgOutbox::pending() {
    const Result r = co_await database_.local().execute(kPending, {});
    co_return r.rows() == 0 ? 0 : std::stoll(std::string(r.get(0, 0)));
}

Task<void> PgOutbox::purge(auth::TimePoint before) {
    const std::vector<Param> params{to_sql_timestamp(before)};
    co_await database_.local().execute(kPurge, params);
}

Task<std::optional<auth::TimePoint>> PgOutbox::token_expiry(const OutboxRow& row) {
    if (!row.token) co_return std::nullopt;
    const Statement& statement = row.kind == "verification" ? kVerificationExpiry : kResetExpiry;
    const std::vector<Param> params{auth::sha256_hex(*row.token)};
    const Result r = co_await database_.local().execute(statement, params);
    if (r.rows() == 0) co_return std::nullopt;
    co_return from_sql_timestamp(r.get(0, 0));
}

Task<void> PgOutbox::release_token(const OutboxRow& row, auth::TimePoint now) {
    const std::vector<Param> params{row.id, std::to_string(row.attempts), to_sql_timestamp(now)};
    co_await database_.local().execute(kReleaseToken, params);
}

}  // namespace portcullis::db
