// Retention of Portcullis' own account-security tables (issue #16), run by the session cleanup
// job after its round: audit events older than AUDIT_RETENTION_DAYS and MFA challenges past their
// expiry, deleted in short batches in primary-key order under an advisory lock of its own, so of N
// replicas one works a round and a table with millions of old rows never holds a long statement.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include "db/pool.hpp"
#include "db/timestamp.hpp"

namespace portcullis::db {

struct RetentionOptions {
    // Audit events older than this are deleted; nullopt keeps them forever.
    std::optional<std::chrono::hours> audit_retention;
    int batch_size = 5000;
};

struct RetentionResult {
    bool ran = false;  // false: another process held the lock
    std::int64_t audit_events_removed = 0;
    std::int64_t mfa_challenges_removed = 0;
};

// One round on a connection of `pool`; stops between batches once `stop` is set. Throws
// DatabaseUnavailable or QueryError; the lock is released in every case.
boost::asio::awaitable<RetentionResult> prune_account_security(
    Pool& pool, const RetentionOptions& options, SystemTime now,
    const std::atomic<bool>* stop = nullptr);

}  // namespace portcullis::db
