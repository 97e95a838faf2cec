// One pointer per thread per owner, for the objects an I/O thread owns (design section 2: its
// Postgres pool, its Redis client). A lookup takes no lock and allocates nothing: each thread keeps
// a short list of (owner id, pointer) pairs, usually one entry long. Owner ids are never reused, so
// a second owner on the same thread, or one built where a destroyed one lived, never finds another
// owner's pointer; forget_all() gives the owner a fresh id, which retires every thread's entry at
// once without touching other threads' lists.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

namespace portcullis::util {

template <typename T>
class PerThread {
public:
    PerThread() : id_(next_id()) {}
    ~PerThread() { forget_this_thread(id_.load(std::memory_order_relaxed)); }
    PerThread(const PerThread&) = delete;
    PerThread& operator=(const PerThread&) = delete;

    // Sets the calling thread's pointer (replacing one set before).
    void set(T* value) {
        const std::uint64_t id = id_.load(std::memory_order_relaxed);
        auto& slots = thread_slots();
        for (auto& slot : slots) {
            if (slot.id == id) {
                slot.value = value;
                return;
            }
        }
        slots.push_back({id, value});
    }

    // The calling thread's pointer; nullptr when none was set since the last forget_all().
    T* get() const {
        const std::uint64_t id = id_.load(std::memory_order_relaxed);
        for (const auto& slot : thread_slots()) {
            if (slot.id == id) return slot.value;
        }
        return nullptr;
    }

    // Every thread's pointer is forgotten. The calling thread's entry is removed; other threads'
    // entries stay behind unmatched (a few bytes each) until those threads end.
    void forget_all() { forget_this_thread(id_.exchange(next_id(), std::memory_order_relaxed)); }

private:
    struct Slot {
        std::uint64_t id;
        T* value;
    };
    static std::vector<Slot>& thread_slots() {
        thread_local std::vector<Slot> slots;
        return slots;
    }
    static void forget_this_thread(std::uint64_t id) {
        std::erase_if(thread_slots(), [id](const Slot& slot) { return slot.id == id; });
    }
    static std::uint64_t next_id() {
        static std::atomic<std::uint64_t> counter{0};
        return counter.fetch_add(1, std::memory_order_relaxed) + 1;
    }

    std::atomic<std::uint64_t> id_;
};

}  // namespace portcullis::util
