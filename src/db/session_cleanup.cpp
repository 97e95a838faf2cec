// See session_cleanup.hpp.
#include "db/session_cleanup.hpp"

#include <charconv>
#include <exception>
#include <string>
#include <vector>

namespace portcullis::db {
namespace {

// A key of our own (Prisma's migrate lock is 72707369): "Port" in ASCII.
constexpr Statement kTryLock{"cleanup_try_lock", "SELECT pg_try_advisory_lock(1349480052)"};
constexpr Statement kUnlock{"cleanup_unlock", "SELECT pg_advisory_unlock(1349480052)"};

// Keyset pagination over the primary key: each statement examines at most $2 rows after the
// last id seen, deletes those that qualify and reports where it stopped. Its cost is bounded by
// the batch whatever the table holds, and it never rescans rows an earlier batch already passed.
constexpr Statement kDeleteBatch{"cleanup_delete_batch",
                                 R"(WITH batch AS (
         SELECT id FROM "Session" WHERE id > $1 ORDER BY id LIMIT $2::int
       ), gone AS (
         DELETE FROM "Session" s USING batch b
         WHERE s.id = b.id
           AND (s.valid = false OR ($3::timestamp(3) IS NOT NULL AND s."updatedAt" <= $3::timestamp(3)))
         RETURNING 1
       )
       SELECT (SELECT max(id) FROM batch), (SELECT count(*) FROM gone))"};

std::int64_t to_int(std::string_view text) {
    std::int64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

Clock::time_point deadline_of(const Pool& pool) {
    return Clock::now() + pool.options().statement_timeout;
}

}  // namespace

boost::asio::awaitable<SessionCleanupResult> cleanup_sessions(Pool& pool,
                                                              const SessionCleanupOptions& options,
                                                              SystemTime now,
                                                              const std::atomic<bool>* stop) {
    Lease lease = co_await pool.acquire(deadline_of(pool));
    const Result locked = co_await lease->execute(kTryLock, {}, deadline_of(pool));
    SessionCleanupResult result;
    if (locked.rows() != 1 || locked.get(0, 0) != "t") co_return result;
    result.ran = true;

    std::optional<std::string> cutoff;
    if (options.refresh_ttl && options.refresh_ttl->count() > 0) {
        cutoff = to_sql_timestamp(now - *options.refresh_ttl);
    }
    std::exception_ptr failure;
    try {
        std::string after;  // every id sorts after the empty string
        for (;;) {
            if (stop != nullptr && stop->load()) break;
            const std::vector<Param> params{after, std::to_string(options.batch_size), cutoff};
            const Result batch = co_await lease->execute(kDeleteBatch, params, deadline_of(pool));
            result.removed += to_int(batch.get(0, 1));
            if (batch.is_null(0, 0)) break;  // past the last row
            after = std::string(batch.get(0, 0));
        }
    } catch (...) {
        failure = std::current_exception();
    }
    // A healthy connection goes back to the pool, so it must not keep the lock; a broken one
    // has lost it with its session.
    if (lease->healthy()) {
        try {
            co_await lease->execute(kUnlock, {}, deadline_of(pool));
        } catch (...) {
            if (!failure) failure = std::current_exception();
        }
    }
    if (failure) std::rethrow_exception(failure);
    co_return result;
}

}  // namespace portcullis::db
