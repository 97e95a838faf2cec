// See token_store.hpp. Column names are the reference's (contract 7.2), quoted. Statements that
// modify a row twice are avoided: "other tokens" updates exclude the presented token.
#include "db/token_store.hpp"

#include <stdexcept>

#include "auth/one_time_token.hpp"
#include "db/timestamp.hpp"
#include "util/random.hpp"

namespace portcullis::db {
namespace {
using auth::Task;

// User, verification token and outbox row in one statement (decisions C.2); the outbox row holds
// the token sealed (auth::TokenSealer), never in plain.
constexpr Statement kCreateUnverified{"token_create_unverified_user", R"(WITH u AS (
         INSERT INTO "User" (id, email, password, "createdAt", "updatedAt", "emailVerifiedAt", role)
         VALUES ($1, $2, $3, $4, $4, NULL, 'USER')
         ON CONFLICT (email) DO NOTHING
         RETURNING id, email, password, role, "emailVerifiedAt")
       , t AS (
         INSERT INTO "VerificationToken" (id, "userId", "tokenHash", "expiresAt", "createdAt")
         SELECT $5, u.id, $6, $7, $4 FROM u)
       , o AS (
         INSERT INTO "EmailOutbox"
           (id, kind, email, "userId", token, status, attempts, "availableAt", "createdAt",
            "updatedAt")
         SELECT $8, 'verification', u.email, u.id, $9, 'pending', 0, $4, $4, $4 FROM u)
       SELECT id, email, password, role, "emailVerifiedAt" FROM u)"};

// The same single insert for every address (decisions B.10).
constexpr Statement kRequestEmail{"token_request_email", R"(INSERT INTO "EmailOutbox"
         (id, kind, email, status, attempts, "availableAt", "createdAt", "updatedAt")
       VALUES ($1, $2, $3, 'pending', 0, $4, $4, $4))"};

// Consumes the token (row lock: a concurrent use waits and then finds it used); when it was live,
// verifies the user and voids the user's other unused verification tokens.
constexpr Statement kVerifyEmail{"token_verify_email", R"(WITH t AS (
         UPDATE "VerificationToken" SET "usedAt" = $2::timestamp(3)
         WHERE "tokenHash" = $1 AND "usedAt" IS NULL
         RETURNING "userId", "expiresAt" > $2::timestamp(3) AS live)
       , u AS (
         UPDATE "User" SET "emailVerifiedAt" = COALESCE("emailVerifiedAt", $2::timestamp(3)),
                           "updatedAt" = $2::timestamp(3)
         WHERE id IN (SELECT "userId" FROM t WHERE live))
       , others AS (
         UPDATE "VerificationToken" SET "usedAt" = $2::timestamp(3)
         WHERE "userId" IN (SELECT "userId" FROM t WHERE live) AND "usedAt" IS NULL
           AND "tokenHash" <> $1)
       SELECT live FROM t)"};

// Reads a reset token and its account's email; an unused but expired one is marked used
// (contract 5.6).
constexpr Statement kCheckReset{"token_check_reset", R"(WITH r AS (
         SELECT id, "userId", "usedAt" IS NULL AS unused, "expiresAt" > $2::timestamp(3) AS live
         FROM "PasswordResetToken" WHERE "tokenHash" = $1)
       , x AS (
         UPDATE "PasswordResetToken" SET "usedAt" = $2::timestamp(3)
         WHERE id IN (SELECT id FROM r WHERE unused AND NOT live))
       SELECT r.unused, r.live, u.email FROM r LEFT JOIN "User" u ON u.id = r."userId")"};

// Contract 5.6 reset success in one statement: token and its siblings used, password replaced,
// every session revoked.
constexpr Statement kResetPassword{"token_reset_password", R"(WITH t AS (
         UPDATE "PasswordResetToken" SET "usedAt" = $3::timestamp(3)
         WHERE "tokenHash" = $1 AND "usedAt" IS NULL
         RETURNING "userId", "expiresAt" > $3::timestamp(3) AS live)
       , others AS (
         UPDATE "PasswordResetToken" SET "usedAt" = $3::timestamp(3)
         WHERE "userId" IN (SELECT "userId" FROM t WHERE live) AND "usedAt" IS NULL
           AND "tokenHash" <> $1)
       , u AS (
         UPDATE "User" SET password = $2, "updatedAt" = $3::timestamp(3)
         WHERE id IN (SELECT "userId" FROM t WHERE live)
         RETURNING email)
       , s AS (
         UPDATE "Session" SET valid = false, token = '', "updatedAt" = $3::timestamp(3)
         WHERE "userId" IN (SELECT "userId" FROM t WHERE live))
       SELECT t.live, u.email FROM t LEFT JOIN u ON true)"};

auth::TimePoint parse_time(std::string_view text) {
    auto parsed = from_sql_timestamp(text);
    if (!parsed) throw std::runtime_error("unreadable timestamp from the database");
    return *parsed;
}

Param text(std::string_view value) {
    return std::string(value);
}
}  // namespace

Task<std::optional<auth::User>> PgOneTimeTokenStore::create_unverified_user(
    std::string_view id, std::string_view normalized_email, std::string_view password_hash,
    auth::TimePoint now) {
    const std::string stamp = to_sql_timestamp(now);
    const std::string expires =
        to_sql_timestamp(now + std::chrono::minutes(verification_ttl_minutes_));
    for (int attempt = 1;; ++attempt) {
        const std::string token = auth::new_one_time_token();
        const std::string outbox_id = util::uuid_v4();
        const std::vector<Param> params{text(id),
                                        text(normalized_email),
                                        text(password_hash),
                                        stamp,
                                        util::uuid_v4(),
                                        auth::sha256_hex(token),
                                        expires,
                                        outbox_id,
                                        sealer_.seal(token, outbox_id)};
        try {
            const Result r = co_await database_.local().execute(kCreateUnverified, params);
            if (r.rows() == 0) co_return std::nullopt;
            auth::User user;
            user.id = r.get(0, 0);
            user.email = r.get(0, 1);
            user.password_hash = r.get(0, 2);
            if (!r.is_null(0, 4)) user.email_verified_at = parse_time(r.get(0, 4));
            co_return user;
        } catch (const QueryError& e) {
            // The email conflict is absorbed by ON CONFLICT; what is left is a tokenHash clash.
            if (!e.unique_violation() || attempt >= kTokenAttempts) throw;
        }
    }
}

Task<void> PgOneTimeTokenStore::request_email(auth::EmailRequest kind, std::string_view email,
                                              auth::TimePoint now) {
    const std::vector<Param> params{
        util::uuid_v4(),
        std::string(kind == auth::EmailRequest::verification ? "verification" : "password-reset"),
        text(email), to_sql_timestamp(now)};
    co_await database_.local().execute(kRequestEmail, params);
}

Task<auth::TokenCheck> PgOneTimeTokenStore::verify_email(std::string_view token_hash,
                                                         auth::TimePoint now) {
    const std::vector<Param> params{text(token_hash), to_sql_timestamp(now)};
    const Result r = co_await database_.local().execute(kVerifyEmail, params);
    if (r.rows() == 0) co_return auth::TokenCheck::invalid;
    co_return r.get(0, 0) == "t" ? auth::TokenCheck::valid : auth::TokenCheck::expired;
}

Task<auth::ResetOutcome> PgOneTimeTokenStore::check_reset(std::string_view token_hash,
                                                          auth::TimePoint now) {
    const std::vector<Param> params{text(token_hash), to_sql_timestamp(now)};
    const Result r = co_await database_.local().execute(kCheckReset, params);
    if (r.rows() == 0 || r.get(0, 0) != "t") {
        co_return auth::ResetOutcome{auth::TokenCheck::invalid, {}};
    }
    if (r.get(0, 1) != "t") co_return auth::ResetOutcome{auth::TokenCheck::expired, {}};
    co_return auth::ResetOutcome{auth::TokenCheck::valid,
                                 r.is_null(0, 2) ? std::string() : std::string(r.get(0, 2))};
}

Task<auth::ResetOutcome> PgOneTimeTokenStore::reset_password(std::string_view token_hash,
                                                             std::string_view password_hash,
                                                             auth::TimePoint now) {
    const std::vector<Param> params{text(token_hash), text(password_hash), to_sql_timestamp(now)};
    const Result r = co_await database_.local().execute(kResetPassword, params);
    if (r.rows() == 0) co_return auth::ResetOutcome{auth::TokenCheck::invalid, {}};
    if (r.get(0, 0) != "t" || r.is_null(0, 1)) {
        co_return auth::ResetOutcome{auth::TokenCheck::expired, {}};
    }
    co_return auth::ResetOutcome{auth::TokenCheck::valid, std::string(r.get(0, 1))};
}

}  // namespace portcullis::db
