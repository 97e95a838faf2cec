// The in-memory rate-limit store (contract 6.5 "Memory"): fixed windows per key, shared by the
// I/O threads of one process through hash-sharded locks, expired windows swept as maps grow.
// Used without Redis (outside production) and as the `local` fallback while Redis is down.
#pragma once

#include <array>
#include <mutex>
#include <string>
#include <unordered_map>

#include "ratelimit/policy.hpp"

namespace portcullis::ratelimit {

class MemoryStore {
public:
    // Counts one hit for `key` (a full store key) and decides against `limit`. Thread-safe.
    Decision hit(const std::string& key, std::int64_t limit, std::chrono::milliseconds window,
                 Clock::time_point now);

    std::size_t size();  // live and expired windows still held, for tests

private:
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::string, Window> windows;
        std::size_t sweep_at = 1024;  // sweep expired windows when the map reaches this size
    };
    static constexpr std::size_t kShards = 32;
    std::array<Shard, kShards> shards_;
};

}  // namespace portcullis::ratelimit
