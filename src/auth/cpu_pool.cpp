// The CPU pool's threads and its fair, bounded queue; see cpu_pool.hpp.
#include "auth/cpu_pool.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

namespace portcullis::auth {
namespace {
constexpr int kWorkerNice = 10;

bool has_gone(const CpuPool::Client& client) {
    return client.gone && client.gone();
}
}  // namespace

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

CpuPool::Stats CpuPool::stats() const {
    return {client_gone_.load(), queue_full_.load(), fair_share_.load()};
}

std::size_t CpuPool::waiting_of_locked(std::string_view key) const {
    const auto it = queues_.find(key);
    return it == queues_.end() ? 0 : it->second.size();
}

void CpuPool::take_gone_locked(std::vector<std::unique_ptr<Job>>& out) {
    for (auto& [key, queue] : queues_) {
        const auto keep = std::stable_partition(
            queue.begin(), queue.end(), [](const auto& job) { return !has_gone(job->client); });
        for (auto it = keep; it != queue.end(); ++it) out.push_back(std::move(*it));
        waiting_ -= static_cast<std::size_t>(queue.end() - keep);
        queue.erase(keep, queue.end());
    }
    // Forget clients left without waiting jobs.
    std::erase_if(turn_, [](const Queues::iterator& it) { return it->second.empty(); });
    std::erase_if(queues_, [](const auto& entry) { return entry.second.empty(); });
}

bool CpuPool::make_room_locked(std::string_view key, Abandoned& out) {
    if (waiting_ < max_queue_) return true;
    take_gone_locked(out.gone);
    if (waiting_ < max_queue_) return true;
    // Full of live jobs: the client with the most gives up its newest, if it holds at least two
    // more than this one would after queueing (so shares converge instead of swapping places).
    auto largest = queues_.end();
    for (auto it = queues_.begin(); it != queues_.end(); ++it) {
        if (largest == queues_.end() || it->second.size() > largest->second.size()) largest = it;
    }
    if (largest == queues_.end() || waiting_of_locked(key) + 1 >= largest->second.size()) {
        return false;
    }
    out.displaced = std::move(largest->second.back());
    largest->second.pop_back();  // it held at least two: never empty now
    --waiting_;
    return true;
}

bool CpuPool::has_room_for(std::string_view key) {
    Abandoned abandoned;
    bool room = false;
    {
        const std::lock_guard lock(mutex_);
        if (stopping_) return false;
        if (waiting_ >= max_queue_) take_gone_locked(abandoned.gone);
        if (waiting_ < max_queue_) {
            room = true;
        } else {
            std::size_t most = 0;
            for (const auto& entry : queues_) most = std::max(most, entry.second.size());
            room = waiting_of_locked(key) + 1 < most;
        }
    }
    answer(abandoned);
    return room;
}

void CpuPool::answer(Abandoned& abandoned) {
    client_gone_ += abandoned.gone.size();
    for (auto& job : abandoned.gone) job->abandon(std::make_exception_ptr(ClientGone()));
    if (abandoned.displaced) {
        ++fair_share_;
        abandoned.displaced->abandon(std::make_exception_ptr(Overloaded()));
    }
}

void CpuPool::submit(std::unique_ptr<Job> job) {
    depth_.fetch_add(1, std::memory_order_relaxed);
    Abandoned abandoned;  // answered outside the lock
    bool accepted = false;
    {
        const std::lock_guard lock(mutex_);
        if (!stopping_ && make_room_locked(job->client.key, abandoned)) {
            auto [it, inserted] = queues_.try_emplace(job->client.key);
            if (it->second.empty()) turn_.push_back(it);
            it->second.push_back(std::move(job));
            ++waiting_;
            accepted = true;
        }
    }
    answer(abandoned);
    if (accepted) {
        ready_.notify_one();
    } else {
        ++queue_full_;
        job->abandon(std::make_exception_ptr(Overloaded()));
    }
}

std::unique_ptr<CpuPool::Job> CpuPool::next_locked() {
    const auto it = turn_.front();
    turn_.pop_front();
    auto job = std::move(it->second.front());
    it->second.pop_front();
    --waiting_;
    if (it->second.empty()) {
        queues_.erase(it);
    } else {
        turn_.push_back(it);  // its next job waits for the other clients' turns
    }
    return job;
}

void CpuPool::worker() {
    // Hashing may use every idle cycle but must not delay the I/O threads: run at a lower
    // priority (per-thread nice on Linux), so a saturated pool leaves request latency alone.
    // Best effort: where that is not permitted the pool runs at normal priority.
    (void)::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), kWorkerNice);
    while (true) {
        std::unique_ptr<Job> job;
        {
            std::unique_lock lock(mutex_);
            ready_.wait(lock, [this] { return stopping_ || waiting_ > 0; });
            // Queued work is finished before stopping: its callers are awaiting a result.
            if (waiting_ == 0) {
                return;
            }
            job = next_locked();
        }
        if (has_gone(job->client)) {
            ++client_gone_;
            job->abandon(std::make_exception_ptr(ClientGone()));
            continue;
        }
        job->run();
    }
}

}  // namespace portcullis::auth
