// The CPU pool's threads and bounded queue; see cpu_pool.hpp.
#include "auth/cpu_pool.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

namespace portcullis::auth {

CpuPool::CpuPool(std::size_t threads, std::size_t max_queue) : max_queue_(max_queue) {
    // A pool without threads would accept work and never run it.
    const std::size_t count = std::max<std::size_t>(threads, 1);
    threads_.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        threads_.emplace_back([this] { worker(); });
    }
}

CpuPool::~CpuPool() {
    {
        const std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto& thread : threads_) {
        thread.join();
    }
}

bool CpuPool::submit(std::function<void()> job) {
    {
        const std::lock_guard lock(mutex_);
        // Only waiting jobs count against the limit: running ones already hold a thread.
        if (stopping_ || jobs_.size() >= max_queue_) {
            return false;
        }
        jobs_.push_back(std::move(job));
        depth_.fetch_add(1, std::memory_order_relaxed);
    }
    ready_.notify_one();
    return true;
}

namespace {
constexpr int kWorkerNice = 10;
}  // namespace

void CpuPool::worker() {
    // Hashing may use every idle cycle but must not delay the I/O threads: run at a lower
    // priority (per-thread nice on Linux), so a saturated pool leaves request latency alone.
    // Best effort: where that is not permitted the pool runs at normal priority.
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kWorkerNice);
    while (true) {
        std::function<void()> job;
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            // Queued work is finished before stopping: its callers are awaiting a result.
            if (jobs_.empty()) {
                return;
            }
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        try {
            // The job leaves depth_ itself, before it hands its result back (see run()).
            job();
        } catch (...) {
            // run() delivers exceptions itself; a raw job's exception must not kill the thread.
        }
    }
}

}  // namespace portcullis::auth
