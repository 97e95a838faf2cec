// See memory_store.hpp.
#include "ratelimit/memory_store.hpp"

#include <algorithm>
#include <functional>

namespace portcullis::ratelimit {

Decision MemoryStore::hit(const std::string& key, std::int64_t limit,
                          std::chrono::milliseconds window, Clock::time_point now) {
    Shard& shard = shards_[std::hash<std::string>{}(key) % kShards];
    std::lock_guard lock(shard.mutex);
    if (shard.windows.size() >= shard.sweep_at) {
        std::erase_if(shard.windows,
                      [now](const auto& entry) { return now >= entry.second.resets_at; });
        // Sweeping again only after the map doubles keeps the cost amortized O(1) per hit.
        shard.sweep_at = std::max<std::size_t>(1024, shard.windows.size() * 2);
    }
    return ratelimit::hit(shard.windows[key], limit, window, now);
}

std::size_t MemoryStore::size() {
    std::size_t total = 0;
    for (auto& shard : shards_) {
        std::lock_guard lock(shard.mutex);
        total += shard.windows.size();
    }
    return total;
}

}  // namespace portcullis::ratelimit
