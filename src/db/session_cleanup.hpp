// The session cleanup of contract 12: deletes invalid sessions and those idle longer than the
// refresh lifetime, in short batches (a
// table with millions of expired rows never holds one long statement or transaction), under an
// advisory lock so that of N replicas only one cleans a round.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>

#include "db/pool.hpp"
#include "db/timestamp.hpp"

namespace portcullis::db {

struct SessionCleanupOptions {
    // Sessions whose updatedAt is at least this old are deleted too; nullopt: only invalid ones.
    std::optional<std::chrono::milliseconds> refresh_ttl;
    // Rows examined per statement (in primary-key order), so each statement's cost is bounded.
    int batch_size = 5000;
};

struct SessionCleanupResult {
    bool ran = false;  // false: another process held the cleanup lock; nothing was done
    std::int64_t removed = 0;
};

// One round on a connection of `pool` (held for the round: the advisory lock belongs to it).
// Stops between batches once `stop` is set (what was deleted stays deleted). Throws
// DatabaseUnavailable or QueryError; the lock is released in every case (a broken connection
// drops it with the session).
boost::asio::awaitable<SessionCleanupResult> cleanup_sessions(
    Pool& pool, const SessionCleanupOptions& options, SystemTime now,
    const std::atomic<bool>* stop = nullptr);

}  // namespace portcullis::db
