// See auth_store.hpp. Column names are the reference's (contract 7.2), quoted.
#include "db/auth_store.hpp"

#include <stdexcept>

#include "db/timestamp.hpp"
#include "util/random.hpp"

namespace portcullis::db {
namespace {
using auth::Task;

// With whether the account has MFA enabled (issue #16), so a login costs no extra round trip and
// every account, with MFA or not, is looked up the same way before its password is checked.
constexpr Statement kUserByEmail{"auth_user_by_email",
                                 R"(SELECT u.id, u.email, u.password, u.role, u."emailVerifiedAt",
              m."enabledAt" IS NOT NULL
       FROM "User" u LEFT JOIN "MfaTotp" m ON m."userId" = u.id
       WHERE u.email = $1)"};
constexpr Statement kUserById{
    "auth_user_by_id",
    R"(SELECT id, email, password, role, "emailVerifiedAt" FROM "User" WHERE id = $1)"};
// ON CONFLICT keeps a registration race from failing: the loser simply gets no row back.
constexpr Statement kCreateUser{
    "auth_create_user",
    R"(INSERT INTO "User" (id, email, password, "createdAt", "updatedAt", "emailVerifiedAt", role)
       VALUES ($1, $2, $3, $4, $4, $5, 'USER')
       ON CONFLICT (email) DO NOTHING
       RETURNING id, email, password, role, "emailVerifiedAt")"};
constexpr Statement kCreateUserWithSession{"auth_create_user_with_session",
                                           R"(WITH u AS (
         INSERT INTO "User" (id, email, password, "createdAt", "updatedAt", "emailVerifiedAt", role)
         VALUES ($1, $2, $3, $4, $4, $5, 'USER')
         ON CONFLICT (email) DO NOTHING
         RETURNING id, email, password, role, "emailVerifiedAt")
       , s AS (
         INSERT INTO "Session" (id, "userId", token, valid, "createdAt", "updatedAt")
         SELECT $6, u.id, $7, true, $4, $4 FROM u)
       SELECT id, email, password, role, "emailVerifiedAt" FROM u)"};
constexpr Statement kCreateSession{
    "auth_create_session",
    R"(INSERT INTO "Session" (id, "userId", token, valid, "createdAt", "updatedAt")
       VALUES ($1, $2, $3, true, $4, $4))"};
// User and session in one round trip (design section 5); the password hash is not needed here
// and is left out of every authenticated request.
constexpr Statement kPrincipal{
    "auth_principal",
    R"(SELECT u.id, u.email, '' AS password, u.role, u."emailVerifiedAt", s."userId", s.valid
       FROM "User" u LEFT JOIN "Session" s ON s.id = $2
       WHERE u.id = $1)"};
// Compare-and-swap on the stored hash: under concurrency exactly one holder of a token rotates
// it (the second UPDATE re-checks its WHERE after the first commits and matches nothing). The
// comparison is of SHA-256 digests, so its timing reveals nothing about the token itself.
constexpr Statement kRotate{"auth_rotate",
                            R"(UPDATE "Session" SET token = $3, "updatedAt" = $4
       WHERE id = $1 AND valid AND token = $2
       RETURNING "userId")"};
constexpr Statement kSessionState{
    "auth_session_state",
    R"(SELECT "userId", valid, token, "updatedAt" FROM "Session" WHERE id = $1)"};
constexpr Statement kRevokeIfCurrent{
    "auth_revoke_if_current",
    R"(UPDATE "Session" SET valid = false, token = '', "updatedAt" = $3
       WHERE id = $1 AND valid AND token = $2)"};
constexpr Statement kRevokeAll{
    "auth_revoke_all",
    R"(UPDATE "Session" SET valid = false, token = '', "updatedAt" = $2 WHERE "userId" = $1)"};
constexpr Statement kListSessions{"auth_list_sessions",
                                  R"(SELECT id, "createdAt", "updatedAt", valid FROM "Session"
       WHERE "userId" = $1 ORDER BY "createdAt" DESC)"};

// Forget an expired lock or an attempt older than the window, then report an active lock: one
// statement (the SELECT sees the rows as they were, and only reads rows the DELETE keeps).
constexpr Statement kLockCheck{"auth_lock_check",
                               R"(WITH forgotten AS (
         DELETE FROM "LoginAttempt"
         WHERE "emailLowercase" = $1 AND "ipAddress" = $2
           AND ("lockedUntil" <= $3
                OR ("lockedUntil" IS NULL
                    AND $3::timestamp(3) - "lastFailedAt" > make_interval(secs => $4::float8))))
       SELECT 1 FROM "LoginAttempt"
       WHERE "emailLowercase" = $1 AND "ipAddress" = $2 AND "lockedUntil" > $3)"};
// One atomic upsert for a failure (decisions B.7: concurrent failures never collide). The repeated
// condition is "within the window and not carrying a lock" of contract 5.7.
constexpr Statement kRecordFailure{"auth_record_failure",
                                   R"(INSERT INTO "LoginAttempt" AS a
         (id, "userId", "emailLowercase", "ipAddress", "failCount", "lockedUntil",
          "firstFailedAt", "lastFailedAt", "createdAt", "updatedAt")
       VALUES ($1, $2, $3, $4, 1,
               CASE WHEN 1 >= $6::int THEN $5::timestamp(3) + make_interval(secs => $8::float8) END,
               $5, $5, $5, $5)
       ON CONFLICT ("emailLowercase", "ipAddress") DO UPDATE SET
         "failCount" = CASE WHEN (a."lockedUntil" IS NULL AND $5::timestamp(3) - a."lastFailedAt" <= make_interval(secs => $7::float8)) THEN a."failCount" + 1 ELSE 1 END,
         "firstFailedAt" = CASE WHEN (a."lockedUntil" IS NULL AND $5::timestamp(3) - a."lastFailedAt" <= make_interval(secs => $7::float8)) THEN a."firstFailedAt" ELSE $5 END,
         "lastFailedAt" = $5,
         "lockedUntil" = CASE WHEN (CASE WHEN (a."lockedUntil" IS NULL AND $5::timestamp(3) - a."lastFailedAt" <= make_interval(secs => $7::float8)) THEN a."failCount" + 1 ELSE 1 END) >= $6::int
                              THEN $5::timestamp(3) + make_interval(secs => $8::float8) END,
         "userId" = COALESCE(a."userId", EXCLUDED."userId"),
         "updatedAt" = $5
       RETURNING "lockedUntil" IS NOT NULL)"};

constexpr Statement kClearAttempts{
    "auth_clear_attempts",
    R"(DELETE FROM "LoginAttempt" WHERE "emailLowercase" = $1 AND "ipAddress" = $2)"};

constexpr Statement kClearEmailAttempts{
    "auth_clear_email_attempts", R"(DELETE FROM "LoginAttempt" WHERE "emailLowercase" = $1)"};

// The four statements of a PgAttemptCounter, for its table.
struct AttemptStatements {
    Statement lock_check;
    Statement record_failure;
    Statement clear;
    Statement clear_email;
};

std::string on_table(std::string_view sql, std::string_view table) {
    std::string out(sql);
    constexpr std::string_view kLogin = "\"LoginAttempt\"";
    const std::string quoted = "\"" + std::string(table) + "\"";
    for (auto at = out.find(kLogin); at != std::string::npos; at = out.find(kLogin, at)) {
        out.replace(at, kLogin.size(), quoted);
        at += quoted.size();
    }
    return out;
}

const AttemptStatements& attempt_statements(AttemptTable table) {
    static const AttemptStatements kLogin{kLockCheck, kRecordFailure, kClearAttempts,
                                          kClearEmailAttempts};
    if (table == AttemptTable::login_attempt) return kLogin;
    // MfaAttempt has LoginAttempt's layout (issue #16): the same rules on another table.
    static const std::string kSql[] = {on_table(kLockCheck.sql, "MfaAttempt"),
                                       on_table(kRecordFailure.sql, "MfaAttempt"),
                                       on_table(kClearAttempts.sql, "MfaAttempt"),
                                       on_table(kClearEmailAttempts.sql, "MfaAttempt")};
    static const AttemptStatements kMfa{{"mfa_lock_check", kSql[0]},
                                        {"mfa_record_failure", kSql[1]},
                                        {"mfa_clear_attempts", kSql[2]},
                                        {"mfa_clear_email_attempts", kSql[3]}};
    return kMfa;
}

auth::Role parse_role(std::string_view text) {
    return text == "ADMIN" ? auth::Role::admin : auth::Role::user;
}

auth::TimePoint parse_time(std::string_view text) {
    auto parsed = from_sql_timestamp(text);
    if (!parsed) throw std::runtime_error("unreadable timestamp from the database");
    return *parsed;
}

auth::User user_from(const Result& r, int row) {
    auth::User user;
    user.id = r.get(row, 0);
    user.email = r.get(row, 1);
    user.password_hash = r.get(row, 2);
    user.role = parse_role(r.get(row, 3));
    if (!r.is_null(row, 4)) user.email_verified_at = parse_time(r.get(row, 4));
    return user;
}

std::optional<auth::User> first_user(const Result& r) {
    if (r.rows() == 0) return std::nullopt;
    return user_from(r, 0);
}

Param text(std::string_view value) {
    return std::string(value);
}
}  // namespace

Task<std::optional<auth::User>> PgUserStore::find_by_email(std::string_view normalized_email) {
    const std::vector<Param> params{text(normalized_email)};
    const Result r = co_await database_.local().execute(kUserByEmail, params);
    auto user = first_user(r);
    if (user) user->mfa_enabled = r.get(0, 5) == "t";
    co_return user;
}

Task<std::optional<auth::User>> PgUserStore::find_by_id(std::string_view id) {
    const std::vector<Param> params{text(id)};
    const Result r = co_await database_.local().execute(kUserById, params);
    co_return first_user(r);
}

Task<std::optional<auth::User>> PgUserStore::create(std::string_view id,
                                                    std::string_view normalized_email,
                                                    std::string_view password_hash, bool verified,
                                                    const std::optional<auth::NewSession>& session,
                                                    auth::TimePoint now) {
    const std::string stamp = to_sql_timestamp(now);
    std::vector<Param> params{text(id), text(normalized_email), text(password_hash), stamp,
                              verified ? Param(stamp) : Param()};
    if (!session) {
        const Result r = co_await database_.local().execute(kCreateUser, params);
        co_return first_user(r);
    }
    params.push_back(session->id);
    params.push_back(session->token_hash);
    const Result r = co_await database_.local().execute(kCreateUserWithSession, params);
    co_return first_user(r);
}

Task<void> PgSessionStore::create(std::string_view user_id, const auth::NewSession& session,
                                  auth::TimePoint now) {
    const std::vector<Param> params{session.id, text(user_id), session.token_hash,
                                    to_sql_timestamp(now)};
    co_await database_.local().execute(kCreateSession, params);
}

Task<auth::Principal> PgSessionStore::load_principal(std::string_view user_id,
                                                     std::string_view session_id) {
    const std::vector<Param> params{text(user_id), text(session_id)};
    const Result r = co_await database_.local().execute(kPrincipal, params);
    auth::Principal principal;
    if (r.rows() == 0) co_return principal;
    principal.user = user_from(r, 0);
    principal.session_found = !r.is_null(0, 5) && r.get(0, 5) == principal.user->id;
    principal.session_valid = principal.session_found && r.get(0, 6) == "t";
    co_return principal;
}

Task<auth::RotateResult> PgSessionStore::rotate(std::string_view session_id,
                                                std::string_view presented_hash,
                                                std::string_view new_hash, auth::TimePoint now) {
    auto& pool = database_.local();
    const std::vector<Param> params{text(session_id), text(presented_hash), text(new_hash),
                                    to_sql_timestamp(now)};
    const Result rotated = co_await pool.execute(kRotate, params);
    if (rotated.rows() == 1) {
        co_return auth::RotateResult{
            auth::RotateOutcome::rotated, std::string(rotated.get(0, 0)), {}, {}};
    }
    // Why not: gone, revoked, or another token is current (reuse, or a lost race).
    const std::vector<Param> id{text(session_id)};
    const Result state = co_await pool.execute(kSessionState, id);
    if (state.rows() == 0) {
        co_return auth::RotateResult{auth::RotateOutcome::session_missing, {}, {}, {}};
    }
    const std::string owner(state.get(0, 0));
    if (state.get(0, 1) != "t")
        co_return auth::RotateResult{auth::RotateOutcome::session_revoked, owner, {}, {}};
    co_return auth::RotateResult{auth::RotateOutcome::token_mismatch, owner,
                                 std::string(state.get(0, 2)), parse_time(state.get(0, 3))};
}

Task<bool> PgSessionStore::revoke_if_current(std::string_view session_id,
                                             std::string_view current_hash, auth::TimePoint now) {
    const std::vector<Param> params{text(session_id), text(current_hash), to_sql_timestamp(now)};
    const Result r = co_await database_.local().execute(kRevokeIfCurrent, params);
    co_return r.affected() == 1;
}

Task<void> PgSessionStore::revoke_all(std::string_view user_id, auth::TimePoint now) {
    const std::vector<Param> params{text(user_id), to_sql_timestamp(now)};
    co_await database_.local().execute(kRevokeAll, params);
}

Task<std::vector<auth::SessionSummary>> PgSessionStore::list(std::string_view user_id) {
    const std::vector<Param> params{text(user_id)};
    const Result r = co_await database_.local().execute(kListSessions, params);
    std::vector<auth::SessionSummary> sessions;
    sessions.reserve(static_cast<std::size_t>(r.rows()));
    for (int row = 0; row < r.rows(); ++row) {
        sessions.push_back({std::string(r.get(row, 0)), parse_time(r.get(row, 1)),
                            parse_time(r.get(row, 2)), r.get(row, 3) == "t"});
    }
    co_return sessions;
}

Task<bool> PgAttemptCounter::is_locked(std::string_view email, std::string_view ip,
                                       auth::TimePoint now) {
    const auto window = std::chrono::duration_cast<std::chrono::seconds>(policy_.window).count();
    const std::vector<Param> params{text(email), text(ip), to_sql_timestamp(now),
                                    std::to_string(window)};
    const Result r =
        co_await database_.local().execute(attempt_statements(table_).lock_check, params);
    co_return r.rows() > 0;
}

Task<bool> PgAttemptCounter::record_failure(std::string_view email, std::string_view ip,
                                            std::optional<std::string_view> user_id,
                                            auth::TimePoint now) {
    const auto seconds = [](auto d) {
        return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count());
    };
    const std::vector<Param> params{util::uuid_v4(),
                                    user_id ? Param(std::string(*user_id)) : Param(),
                                    text(email),
                                    text(ip),
                                    to_sql_timestamp(now),
                                    std::to_string(policy_.max_attempts),
                                    seconds(policy_.window),
                                    seconds(policy_.lockout)};
    const Result r =
        co_await database_.local().execute(attempt_statements(table_).record_failure, params);
    co_return r.rows() == 1 && r.get(0, 0) == "t";
}

Task<void> PgAttemptCounter::clear(std::string_view email, std::string_view ip) {
    const std::vector<Param> params{text(email), text(ip)};
    co_await database_.local().execute(attempt_statements(table_).clear, params);
}

Task<void> PgAttemptCounter::clear_email(std::string_view email) {
    const std::vector<Param> params{text(email)};
    co_await database_.local().execute(attempt_statements(table_).clear_email, params);
}

}  // namespace portcullis::db
