// See retention.hpp. The same shape as db/session_cleanup: try-lock, keyset batches, unlock.
#include "db/retention.hpp"

#include <charconv>
#include <exception>
#include <string>
#include <vector>

namespace portcullis::db {
namespace {

// Next to the session cleanup's key (1349480052): "Port" + 1.
constexpr Statement kTryLock{"retention_try_lock", "SELECT pg_try_advisory_lock(1349480053)"};
constexpr Statement kUnlock{"retention_unlock", "SELECT pg_advisory_unlock(1349480053)"};

// At most $2 events after id $1, oldest ids first; those created before $3 go. Ids grow with
// time, so a round that meets a young batch has nothing older left (it stops there).
constexpr Statement kDeleteAuditBatch{"retention_delete_audit_batch", R"(WITH batch AS (
         SELECT id, "createdAt" FROM "AuditEvent" WHERE id > $1::bigint ORDER BY id LIMIT $2::int
       ), gone AS (
         DELETE FROM "AuditEvent" e USING batch b
         WHERE e.id = b.id AND b."createdAt" < $3::timestamp(3)
         RETURNING 1
       )
       SELECT (SELECT max(id) FROM batch), (SELECT count(*) FROM gone),
              (SELECT bool_and("createdAt" < $3::timestamp(3)) FROM batch))"};

// Challenges live minutes: whatever expired before $1 goes, a batch at a time.
constexpr Statement kDeleteChallengeBatch{"retention_delete_challenge_batch", R"(WITH batch AS (
         SELECT id FROM "MfaChallenge" WHERE "expiresAt" < $1::timestamp(3) LIMIT $2::int
       )
       DELETE FROM "MfaChallenge" c USING batch b WHERE c.id = b.id)"};

std::int64_t to_int(std::string_view text) {
    std::int64_t value = 0;
    std::from_chars(text.data(), text.data() + text.size(), value);
    return value;
}

Clock::time_point deadline_of(const Pool& pool) {
    return Clock::now() + pool.options().statement_timeout;
}

bool stopped(const std::atomic<bool>* stop) {
    return stop != nullptr && stop->load();
}

}  // namespace

boost::asio::awaitable<RetentionResult> prune_account_security(Pool& pool,
                                                               const RetentionOptions& options,
                                                               SystemTime now,
                                                               const std::atomic<bool>* stop) {
    Lease lease = co_await pool.acquire(deadline_of(pool));
    const Result locked = co_await lease->execute(kTryLock, {}, deadline_of(pool));
    RetentionResult result;
    if (locked.rows() != 1 || locked.get(0, 0) != "t") co_return result;
    result.ran = true;

    std::exception_ptr failure;
    try {
        if (options.audit_retention) {
            const std::string cutoff = to_sql_timestamp(now - *options.audit_retention);
            std::string after = "0";
            while (!stopped(stop)) {
                const std::vector<Param> params{after, std::to_string(options.batch_size), cutoff};
                const Result batch =
                    co_await lease->execute(kDeleteAuditBatch, params, deadline_of(pool));
                result.audit_events_removed += to_int(batch.get(0, 1));
                if (batch.is_null(0, 0) || batch.get(0, 2) != "t") break;
                after = std::string(batch.get(0, 0));
            }
        }
        const std::string expired = to_sql_timestamp(now);
        while (!stopped(stop)) {
            const std::vector<Param> params{expired, std::to_string(options.batch_size)};
            const Result batch =
                co_await lease->execute(kDeleteChallengeBatch, params, deadline_of(pool));
            const auto removed = static_cast<std::int64_t>(batch.affected());
            result.mfa_challenges_removed += removed;
            if (removed < options.batch_size) break;
        }
    } catch (...) {
        failure = std::current_exception();
    }
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
