// The statements of the operator commands (contract 13, issue: `portcullis user …` and
// `portcullis sessions revoke`): look an account up, change its role, list accounts, end its
// sessions. Parameterized like every other statement; used from the CLI only.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/pool.hpp"
#include "db/timestamp.hpp"

namespace portcullis::db {

// How an operator names an account: by id, or by the email as stored (exact match).
struct UserKey {
    enum class Kind { id, email } kind = Kind::email;
    std::string value;
};

struct AccountSummary {
    std::string id;
    std::string email;
    std::string role;  // USER or ADMIN
    std::optional<SystemTime> email_verified_at;
    SystemTime created_at;
    std::int64_t active_sessions = 0;  // valid and used more recently than the refresh lifetime
};

// `active_since`: sessions last updated before it count as expired.
boost::asio::awaitable<std::optional<AccountSummary>> find_account(Pool& pool, const UserKey& key,
                                                                   SystemTime active_since);

// Accounts of `role` (every role when nullopt), oldest first, at most `limit`.
boost::asio::awaitable<std::vector<AccountSummary>> list_accounts(Pool& pool,
                                                                  std::optional<std::string> role,
                                                                  int limit,
                                                                  SystemTime active_since);

// Sets the role of account `user_id` unless it already has it; returns the role it had before
// when it changed, nullopt when nothing changed.
boost::asio::awaitable<std::optional<std::string>> change_role(Pool& pool, std::string_view user_id,
                                                               std::string_view role,
                                                               SystemTime now);

// Ends every valid session of the account, as logout-all does; returns how many were valid.
boost::asio::awaitable<std::int64_t> revoke_sessions(Pool& pool, std::string_view user_id,
                                                     SystemTime now);

}  // namespace portcullis::db
