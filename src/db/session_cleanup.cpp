// See session_cleanup.hpp.
#include "db/session_cleanup.hpp"

#include <charconv>
#include <functional>
#include <string>
#include <vector>

#include "db/advisory_lock.hpp"

namespace portcullis::db {
namespace {

// A key of our own (Prisma's migrate lock is 72707369): "Port" in ASCII.
constexpr std::int64_t kLockKey = 1349480052;

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

}  // namespace

boost::asio::awaitable<SessionCleanupResult> cleanup_sessions(Pool& pool,
                                                              const SessionCleanupOptions& options,
                                                              SystemTime now,
                                                              const std::atomic<bool>* stop) {
    std::optional<std::string> cutoff;
    if (options.refresh_ttl && options.refresh_ttl->count() > 0) {
        cutoff = to_sql_timestamp(now - *options.refresh_ttl);
    }
    SessionCleanupResult result;
    // Named: GCC 12 destroys a temporary that lives across a co_await twice.
    const std::function<boost::asio::awaitable<void>(Lease&)> work =
        [&](Lease& lease) -> boost::asio::awaitable<void> {
        std::string after;  // every id sorts after the empty string
        while (stop == nullptr || !stop->load()) {
            const std::vector<Param> params{after, std::to_string(options.batch_size), cutoff};
            const Result batch =
                co_await lease->execute(kDeleteBatch, params, statement_deadline(pool));
            result.removed += to_int(batch.get(0, 1));
            if (batch.is_null(0, 0)) break;  // past the last row
            after = std::string(batch.get(0, 0));
        }
    };
    result.ran = co_await under_advisory_lock(pool, kLockKey, work);
    co_return result;
}

}  // namespace portcullis::db
