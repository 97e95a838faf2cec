// See mfa_store.hpp. Column names follow the reference's conventions (quoted camelCase).
#include "db/mfa_store.hpp"

#include <charconv>
#include <stdexcept>

#include "db/timestamp.hpp"

namespace portcullis::db {
namespace {
using auth::Task;

constexpr Statement kEnrolment{
    "mfa_enrolment",
    R"(SELECT secret, "enabledAt" IS NOT NULL, "lastUsedStep" FROM "MfaTotp" WHERE "userId" = $1)"};

// A new pending enrolment, or a fresh secret for a pending one; an enabled one is left alone (no
// row back).
constexpr Statement kStartEnrolment{"mfa_start_enrolment",
                                    R"(INSERT INTO "MfaTotp" AS m
         ("userId", secret, "enabledAt", "lastUsedStep", "createdAt", "updatedAt")
       VALUES ($1, $2, NULL, NULL, $3, $3)
       ON CONFLICT ("userId") DO UPDATE SET
         secret = EXCLUDED.secret, "lastUsedStep" = NULL, "createdAt" = EXCLUDED."createdAt",
         "updatedAt" = EXCLUDED."updatedAt"
       WHERE m."enabledAt" IS NULL
       RETURNING 1)"};

// Enables the enrolment only while it is the pending one with that secret, and replaces the
// recovery codes in the same statement.
constexpr Statement kEnable{"mfa_enable", R"(WITH t AS (
         UPDATE "MfaTotp" SET "enabledAt" = $4::timestamp(3), "lastUsedStep" = $3::bigint,
                              "updatedAt" = $4::timestamp(3)
         WHERE "userId" = $1 AND "enabledAt" IS NULL AND secret = $2
         RETURNING "userId")
       , gone AS (
         DELETE FROM "MfaRecoveryCode" WHERE "userId" IN (SELECT "userId" FROM t))
       , added AS (
         INSERT INTO "MfaRecoveryCode" (id, "userId", "codeHash", "createdAt")
         SELECT gen_random_uuid()::text, t."userId", h, $4::timestamp(3)
         FROM t, unnest($5::text[]) AS h)
       SELECT count(*) FROM t)"};

// The replay guard: a step is taken only when it is later than the last one taken.
constexpr Statement kUseStep{"mfa_use_step",
                             R"(UPDATE "MfaTotp" SET "lastUsedStep" = $2::bigint, "updatedAt" = $3
       WHERE "userId" = $1 AND "enabledAt" IS NOT NULL
         AND ("lastUsedStep" IS NULL OR "lastUsedStep" < $2::bigint)
       RETURNING 1)"};

constexpr Statement kUseRecoveryCode{"mfa_use_recovery_code",
                                     R"(UPDATE "MfaRecoveryCode" SET "usedAt" = $3
       WHERE "userId" = $1 AND "codeHash" = $2 AND "usedAt" IS NULL
       RETURNING 1)"};

constexpr Statement kReplaceRecoveryCodes{"mfa_replace_recovery_codes", R"(WITH gone AS (
         DELETE FROM "MfaRecoveryCode" WHERE "userId" = $1)
       INSERT INTO "MfaRecoveryCode" (id, "userId", "codeHash", "createdAt")
       SELECT gen_random_uuid()::text, $1, h, $3::timestamp(3) FROM unnest($2::text[]) AS h)"};

constexpr Statement kDisable{"mfa_disable", R"(WITH t AS (
         DELETE FROM "MfaTotp" WHERE "userId" = $1 RETURNING 1)
       , codes AS (DELETE FROM "MfaRecoveryCode" WHERE "userId" = $1)
       , challenges AS (DELETE FROM "MfaChallenge" WHERE "userId" = $1)
       SELECT count(*) FROM t)"};

constexpr Statement kCreateChallenge{"mfa_create_challenge",
                                     R"(INSERT INTO "MfaChallenge"
         (id, "userId", "tokenHash", "passwordDigest", "expiresAt", "createdAt")
       VALUES ($1, $2, $3, $4, $5, $6))"};

// The challenge with the account and its enrolment, in one round trip.
constexpr Statement kFindChallenge{"mfa_find_challenge",
                                   R"(SELECT c.id, u.id, u.email, u.password, u.role,
              u."emailVerifiedAt", c."passwordDigest", m.secret, m."enabledAt" IS NOT NULL,
              m."lastUsedStep"
       FROM "MfaChallenge" c
       JOIN "User" u ON u.id = c."userId"
       LEFT JOIN "MfaTotp" m ON m."userId" = c."userId"
       WHERE c."tokenHash" = $1 AND c."usedAt" IS NULL AND c."expiresAt" > $2)"};

constexpr Statement kConsumeChallenge{"mfa_consume_challenge",
                                      R"(UPDATE "MfaChallenge" SET "usedAt" = $2
       WHERE id = $1 AND "usedAt" IS NULL
       RETURNING 1)"};

// Password change: the new hash while the old one is still stored, every other valid session
// revoked, in one statement.
constexpr Statement kChangePassword{"account_change_password", R"(WITH u AS (
         UPDATE "User" SET password = $3, "updatedAt" = $5
         WHERE id = $1 AND password = $2
         RETURNING id)
       , s AS (
         UPDATE "Session" SET valid = false, token = '', "updatedAt" = $5
         WHERE "userId" IN (SELECT id FROM u) AND id <> $4 AND valid)
       SELECT count(*) FROM u)"};

constexpr Statement kRehashPassword{"account_rehash_password",
                                    R"(UPDATE "User" SET password = $3, "updatedAt" = $4
       WHERE id = $1 AND password = $2
       RETURNING 1)"};

Param text(std::string_view value) {
    return std::string(value);
}

std::optional<std::int64_t> integer_at(const Result& r, int row, int column) {
    if (r.is_null(row, column)) return std::nullopt;
    const std::string_view value = r.get(row, column);
    std::int64_t out = 0;
    std::from_chars(value.data(), value.data() + value.size(), out);
    return out;
}

bool counted(const Result& r) {
    return r.rows() == 1 && r.get(0, 0) != "0";
}

}  // namespace

std::string text_array(const std::vector<std::string>& values) {
    std::string out = "{";
    for (std::size_t i = 0; i < values.size(); ++i) {
        for (const char c : values[i]) {
            if (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) {
                throw std::invalid_argument("text_array: unsupported character");
            }
        }
        if (i > 0) out += ',';
        out += '"';
        out += values[i];
        out += '"';
    }
    out += '}';
    return out;
}

Task<std::optional<auth::TotpEnrolment>> PgMfaStore::enrolment(std::string_view user_id) {
    const std::vector<Param> params{text(user_id)};
    const Result r = co_await database_.local().execute(kEnrolment, params);
    if (r.rows() == 0) co_return std::nullopt;
    co_return auth::TotpEnrolment{std::string(r.get(0, 0)), r.get(0, 1) == "t",
                                  integer_at(r, 0, 2)};
}

Task<bool> PgMfaStore::start_enrolment(std::string_view user_id, std::string_view sealed_secret,
                                       auth::TimePoint now) {
    const std::vector<Param> params{text(user_id), text(sealed_secret), to_sql_timestamp(now)};
    const Result r = co_await database_.local().execute(kStartEnrolment, params);
    co_return r.rows() == 1;
}

Task<bool> PgMfaStore::enable(std::string_view user_id, std::string_view sealed_secret,
                              std::int64_t step, const std::vector<std::string>& code_hashes,
                              auth::TimePoint now) {
    const std::vector<Param> params{text(user_id), text(sealed_secret), std::to_string(step),
                                    to_sql_timestamp(now), text_array(code_hashes)};
    const Result r = co_await database_.local().execute(kEnable, params);
    co_return counted(r);
}

Task<bool> PgMfaStore::use_step(std::string_view user_id, std::int64_t step, auth::TimePoint now) {
    const std::vector<Param> params{text(user_id), std::to_string(step), to_sql_timestamp(now)};
    const Result r = co_await database_.local().execute(kUseStep, params);
    co_return r.rows() == 1;
}

Task<bool> PgMfaStore::use_recovery_code(std::string_view user_id, std::string_view code_hash,
                                         auth::TimePoint now) {
    const std::vector<Param> params{text(user_id), text(code_hash), to_sql_timestamp(now)};
    const Result r = co_await database_.local().execute(kUseRecoveryCode, params);
    co_return r.rows() == 1;
}

Task<void> PgMfaStore::replace_recovery_codes(std::string_view user_id,
                                              const std::vector<std::string>& code_hashes,
                                              auth::TimePoint now) {
    const std::vector<Param> params{text(user_id), text_array(code_hashes), to_sql_timestamp(now)};
    co_await database_.local().execute(kReplaceRecoveryCodes, params);
}

Task<bool> PgMfaStore::disable(std::string_view user_id) {
    const std::vector<Param> params{text(user_id)};
    const Result r = co_await database_.local().execute(kDisable, params);
    co_return counted(r);
}

Task<void> PgMfaStore::create_challenge(std::string_view id, std::string_view user_id,
                                        std::string_view token_hash,
                                        std::string_view password_digest, auth::TimePoint expires,
                                        auth::TimePoint now) {
    const std::vector<Param> params{text(id),
                                    text(user_id),
                                    text(token_hash),
                                    text(password_digest),
                                    to_sql_timestamp(expires),
                                    to_sql_timestamp(now)};
    co_await database_.local().execute(kCreateChallenge, params);
}

Task<std::optional<auth::PendingMfaLogin>> PgMfaStore::find_challenge(std::string_view token_hash,
                                                                      auth::TimePoint now) {
    const std::vector<Param> params{text(token_hash), to_sql_timestamp(now)};
    const Result r = co_await database_.local().execute(kFindChallenge, params);
    if (r.rows() == 0) co_return std::nullopt;
    auth::PendingMfaLogin pending;
    pending.challenge_id = r.get(0, 0);
    pending.user.id = r.get(0, 1);
    pending.user.email = r.get(0, 2);
    pending.user.password_hash = r.get(0, 3);
    pending.user.role = r.get(0, 4) == "ADMIN" ? auth::Role::admin : auth::Role::user;
    if (!r.is_null(0, 5)) {
        const auto verified = from_sql_timestamp(r.get(0, 5));
        if (!verified) throw std::runtime_error("unreadable timestamp from the database");
        pending.user.email_verified_at = *verified;
    }
    pending.password_digest = r.get(0, 6);
    if (!r.is_null(0, 7)) {
        pending.totp =
            auth::TotpEnrolment{std::string(r.get(0, 7)), r.get(0, 8) == "t", integer_at(r, 0, 9)};
        pending.user.mfa_enabled = pending.totp->enabled;
    }
    co_return pending;
}

Task<bool> PgMfaStore::consume_challenge(std::string_view challenge_id, auth::TimePoint now) {
    const std::vector<Param> params{text(challenge_id), to_sql_timestamp(now)};
    const Result r = co_await database_.local().execute(kConsumeChallenge, params);
    co_return r.rows() == 1;
}

Task<bool> PgCredentialStore::change_password(std::string_view user_id, std::string_view old_hash,
                                              std::string_view new_hash,
                                              std::string_view keep_session_id,
                                              auth::TimePoint now) {
    const std::vector<Param> params{text(user_id), text(old_hash), text(new_hash),
                                    text(keep_session_id), to_sql_timestamp(now)};
    const Result r = co_await database_.local().execute(kChangePassword, params);
    co_return counted(r);
}

Task<bool> PgCredentialStore::rehash_password(std::string_view user_id, std::string_view old_hash,
                                              std::string_view new_hash, auth::TimePoint now) {
    const std::vector<Param> params{text(user_id), text(old_hash), text(new_hash),
                                    to_sql_timestamp(now)};
    const Result r = co_await database_.local().execute(kRehashPassword, params);
    co_return r.rows() == 1;
}

}  // namespace portcullis::db
