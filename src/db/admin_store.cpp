// See admin_store.hpp.
#include "db/admin_store.hpp"

#include <charconv>
#include <stdexcept>

namespace portcullis::db {
namespace {

// Each lookup returns the account with its count of active sessions ($2: the oldest updatedAt
// that still counts as active).
constexpr Statement kAccountById{"admin_account_by_id",
                                 R"(SELECT u.id, u.email, u.role::text, u."emailVerifiedAt",
              u."createdAt",
              (SELECT count(*) FROM "Session" s
                WHERE s."userId" = u.id AND s.valid AND s."updatedAt" > $2::timestamp(3))
       FROM "User" u WHERE u.id = $1)"};
constexpr Statement kAccountByEmail{"admin_account_by_email",
                                    R"(SELECT u.id, u.email, u.role::text, u."emailVerifiedAt",
              u."createdAt",
              (SELECT count(*) FROM "Session" s
                WHERE s."userId" = u.id AND s.valid AND s."updatedAt" > $2::timestamp(3))
       FROM "User" u WHERE u.email = $1)"};
constexpr Statement kListAccounts{"admin_list_accounts",
                                  R"(SELECT u.id, u.email, u.role::text, u."emailVerifiedAt",
              u."createdAt",
              (SELECT count(*) FROM "Session" s
                WHERE s."userId" = u.id AND s.valid AND s."updatedAt" > $2::timestamp(3))
       FROM "User" u WHERE $1::text IS NULL OR u.role::text = $1
       ORDER BY u."createdAt", u.id LIMIT $3::int)"};

// The old role comes from a locked read in the same statement, so the report is exact even when
// two operators act at once; no row back means the account already had the role.
constexpr Statement kChangeRole{"admin_change_role",
                                R"(UPDATE "User" u SET role = $2::"Role", "updatedAt" = $3
       FROM (SELECT id, role FROM "User" WHERE id = $1 FOR UPDATE) old
       WHERE u.id = old.id AND old.role <> $2::"Role"
       RETURNING old.role::text)"};

// As logout-all (contract 4.3): the session stays listed as invalid until the cleanup removes it.
constexpr Statement kRevokeSessions{
    "admin_revoke_sessions",
    R"(UPDATE "Session" SET valid = false, token = '', "updatedAt" = $2
       WHERE "userId" = $1 AND valid)"};

SystemTime time_at(const Result& r, int row, int column) {
    const auto parsed = from_sql_timestamp(r.get(row, column));
    if (!parsed) throw std::runtime_error("unreadable timestamp from the database");
    return *parsed;
}

AccountSummary account_at(const Result& r, int row) {
    AccountSummary account;
    account.id = r.get(row, 0);
    account.email = r.get(row, 1);
    account.role = r.get(row, 2);
    if (!r.is_null(row, 3)) account.email_verified_at = time_at(r, row, 3);
    account.created_at = time_at(r, row, 4);
    const std::string_view count = r.get(row, 5);
    std::from_chars(count.data(), count.data() + count.size(), account.active_sessions);
    return account;
}

}  // namespace

boost::asio::awaitable<std::optional<AccountSummary>> find_account(Pool& pool, const UserKey& key,
                                                                   SystemTime active_since) {
    const std::vector<Param> params{key.value, to_sql_timestamp(active_since)};
    const Result r = co_await pool.execute(
        key.kind == UserKey::Kind::id ? kAccountById : kAccountByEmail, params);
    if (r.rows() == 0) co_return std::nullopt;
    co_return account_at(r, 0);
}

boost::asio::awaitable<std::vector<AccountSummary>> list_accounts(Pool& pool,
                                                                  std::optional<std::string> role,
                                                                  int limit,
                                                                  SystemTime active_since) {
    const std::vector<Param> params{std::move(role), to_sql_timestamp(active_since),
                                    std::to_string(limit)};
    const Result r = co_await pool.execute(kListAccounts, params);
    std::vector<AccountSummary> accounts;
    accounts.reserve(static_cast<std::size_t>(r.rows()));
    for (int row = 0; row < r.rows(); ++row) accounts.push_back(account_at(r, row));
    co_return accounts;
}

boost::asio::awaitable<std::optional<std::string>> change_role(Pool& pool, std::string_view user_id,
                                                               std::string_view role,
                                                               SystemTime now) {
    const std::vector<Param> params{std::string(user_id), std::string(role), to_sql_timestamp(now)};
    const Result r = co_await pool.execute(kChangeRole, params);
    if (r.rows() == 0) co_return std::nullopt;
    co_return std::string(r.get(0, 0));
}

boost::asio::awaitable<std::int64_t> revoke_sessions(Pool& pool, std::string_view user_id,
                                                     SystemTime now) {
    const std::vector<Param> params{std::string(user_id), to_sql_timestamp(now)};
    const Result r = co_await pool.execute(kRevokeSessions, params);
    co_return static_cast<std::int64_t>(r.affected());
}

}  // namespace portcullis::db
