// Background rounds that one replica of many should work at a time (session cleanup, retention):
// the work runs on one connection while it holds a session-level advisory lock, and the lock is
// released however the work ends.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>

#include "db/pool.hpp"

namespace portcullis::db {

// Runs `work` on one connection of `pool` while holding the advisory lock `key`; false (and
// `work` not run) when another session holds it. Rethrows what `work` threw after unlocking; a
// broken connection has lost the lock with its session.
boost::asio::awaitable<bool> under_advisory_lock(
    Pool& pool, std::int64_t key, const std::function<boost::asio::awaitable<void>(Lease&)>& work);

// When a statement started now must have answered.
Clock::time_point statement_deadline(const Pool& pool);

}  // namespace portcullis::db
