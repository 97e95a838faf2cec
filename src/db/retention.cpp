// See retention.hpp. The same shape as db/session_cleanup: keyset batches under an advisory lock.
#include "db/retention.hpp"

#include <charconv>
#include <functional>
#include <string>
#include <vector>

#include "db/advisory_lock.hpp"

namespace portcullis::db {
namespace {

// Next to the session cleanup's key (1349480052): "Port" + 1.
constexpr std::int64_t kLockKey = 1349480053;

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

bool stopped(const std::atomic<bool>* stop) {
    return stop != nullptr && stop->load();
}

}  // namespace

boost::asio::awaitable<RetentionResult> prune_account_security(Pool& pool,
                                                               const RetentionOptions& options,
                                                               SystemTime now,
                                                               const std::atomic<bool>* stop) {
    RetentionResult result;
    // Named: GCC 12 destroys a temporary that lives across a co_await twice.
    const std::function<boost::asio::awaitable<void>(Lease&)> work =
        [&](Lease& lease) -> boost::asio::awaitable<void> {
        if (options.audit_retention) {
            const std::string cutoff = to_sql_timestamp(now - *options.audit_retention);
            std::string after = "0";
            while (!stopped(stop)) {
                const std::vector<Param> params{after, std::to_string(options.batch_size), cutoff};
                const Result batch =
                    co_await lease->execute(kDeleteAuditBatch, params, statement_deadline(pool));
                result.audit_events_removed += to_int(batch.get(0, 1));
                if (batch.is_null(0, 0) || batch.get(0, 2) != "t") break;
                after = std::string(batch.get(0, 0));
            }
        }
        const std::string expired = to_sql_timestamp(now);
        while (!stopped(stop)) {
            const std::vector<Param> params{expired, std::to_string(options.batch_size)};
            const Result batch =
                co_await lease->execute(kDeleteChallengeBatch, params, statement_deadline(pool));
            const auto removed = static_cast<std::int64_t>(batch.affected());
            result.mfa_challenges_removed += removed;
            if (removed < options.batch_size) break;
        }
    };
    result.ran = co_await under_advisory_lock(pool, kLockKey, work);
    co_return result;
}

}  // namespace portcullis::db
