// See log_writer.hpp.
#include "observability/log_writer.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>

namespace portcullis::observability {

struct LogWriter::State {
    explicit State(int descriptor, std::size_t capacity_bytes)
        : fd(descriptor), capacity(capacity_bytes) {}

    const int fd;
    const std::size_t capacity;
    std::mutex mutex;
    std::condition_variable wake;     // the writer: work or stop
    std::condition_variable written;  // drain(): progress
    std::deque<std::string> queue;
    std::size_t queued_bytes = 0;  // including the chunk being written
    std::uint64_t pushed = 0;      // chunks accepted
    std::uint64_t done = 0;        // chunks written (or given up on)
    bool stop = false;
    std::atomic<std::uint64_t> dropped{0};

    void write_all(std::string_view data) const {
        while (!data.empty()) {
            const ssize_t n = ::write(fd, data.data(), data.size());
            if (n >= 0) {
                data.remove_prefix(static_cast<std::size_t>(n));
                continue;
            }
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                // A non-blocking stdout: wait for room as a blocking one would.
                pollfd ready{fd, POLLOUT, 0};
                ::poll(&ready, 1, 1000);
                continue;
            }
            return;  // a closed stdout must not take the service down
        }
    }

    void run() {
        std::unique_lock lock(mutex);
        for (;;) {
            wake.wait(lock, [this] { return stop || !queue.empty(); });
            if (queue.empty()) return;
            std::string chunk = std::move(queue.front());
            queue.pop_front();
            lock.unlock();
            write_all(chunk);
            lock.lock();
            queued_bytes -= chunk.size();
            ++done;
            written.notify_all();
        }
    }
};

LogWriter::LogWriter(int fd, std::size_t capacity_bytes)
    : state_(std::make_shared<State>(fd, capacity_bytes)),
      thread_([state = state_] { state->run(); }) {}

LogWriter::~LogWriter() {
    const bool drained = drain(kExitDrain);
    {
        const std::lock_guard lock(state_->mutex);
        state_->stop = true;
        // Nothing more is written once time ran out; the chunk in flight may still go out.
        state_->queue.clear();
    }
    state_->wake.notify_all();
    if (drained) {
        thread_.join();
    } else {
        thread_.detach();  // blocked in write(): it keeps the state alive and ends after it
    }
}

void LogWriter::push(std::string lines) {
    if (lines.empty()) return;
    {
        const std::lock_guard lock(state_->mutex);
        if (state_->queued_bytes + lines.size() <= state_->capacity && !state_->stop) {
            state_->queued_bytes += lines.size();
            ++state_->pushed;
            state_->queue.push_back(std::move(lines));
            state_->wake.notify_one();
            return;
        }
    }
    const auto count = std::count(lines.begin(), lines.end(), '\n');
    state_->dropped.fetch_add(static_cast<std::uint64_t>(count), std::memory_order_relaxed);
}

bool LogWriter::drain(std::chrono::milliseconds timeout) {
    std::unique_lock lock(state_->mutex);
    const std::uint64_t target = state_->pushed;
    return state_->written.wait_for(lock, timeout, [&] { return state_->done >= target; });
}

std::uint64_t LogWriter::dropped_lines() const {
    return state_->dropped.load(std::memory_order_relaxed);
}

}  // namespace portcullis::observability
