// See advisory_lock.hpp.
#include "db/advisory_lock.hpp"

#include <exception>
#include <string>
#include <vector>

namespace portcullis::db {
namespace {

constexpr Statement kTryLock{"advisory_try_lock", "SELECT pg_try_advisory_lock($1::bigint)"};
constexpr Statement kUnlock{"advisory_unlock", "SELECT pg_advisory_unlock($1::bigint)"};

}  // namespace

Clock::time_point statement_deadline(const Pool& pool) {
    return Clock::now() + pool.options().statement_timeout;
}

boost::asio::awaitable<bool> under_advisory_lock(
    Pool& pool, std::int64_t key, const std::function<boost::asio::awaitable<void>(Lease&)>& work) {
    Lease lease = co_await pool.acquire(statement_deadline(pool));
    const std::vector<Param> params{std::to_string(key)};
    const Result locked = co_await lease->execute(kTryLock, params, statement_deadline(pool));
    if (locked.rows() != 1 || locked.get(0, 0) != "t") co_return false;

    std::exception_ptr failure;
    try {
        co_await work(lease);
    } catch (...) {
        failure = std::current_exception();
    }
    // A healthy connection goes back to the pool, so it must not keep the lock.
    if (lease->healthy()) {
        try {
            co_await lease->execute(kUnlock, params, statement_deadline(pool));
        } catch (...) {
            if (!failure) failure = std::current_exception();
        }
    }
    if (failure) std::rethrow_exception(failure);
    co_return true;
}

}  // namespace portcullis::db
