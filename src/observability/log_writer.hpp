// The one thread that writes log output to its file descriptor (issue #18 item 6). Producers hand
// it whole lines through a queue bounded in bytes and never wait on the descriptor: when a stalled
// reader (a log collector that stopped reading stdout) lets the queue fill up, new lines are
// dropped and counted instead of stopping the threads that log.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

namespace portcullis::observability {

class LogWriter {
public:
    // Starts the writer thread. `fd` is not closed by the writer.
    LogWriter(int fd, std::size_t capacity_bytes);
    // Waits at most `kExitDrain` for what is queued; a writer stuck on a descriptor nobody reads is
    // left behind (detached) rather than hanging the caller.
    ~LogWriter();
    LogWriter(const LogWriter&) = delete;
    LogWriter& operator=(const LogWriter&) = delete;

    static constexpr std::chrono::milliseconds kExitDrain{2000};

    // Queues `lines` (complete lines, each ending in '\n'). Never blocks on the descriptor; when
    // the queue cannot take them they are dropped and counted. Any thread.
    void push(std::string lines);

    // Waits until everything queued before the call has been written, at most `timeout`; false
    // when time ran out (the descriptor does not take data). Any thread.
    bool drain(std::chrono::milliseconds timeout);

    // Lines dropped because the queue was full, since the start.
    std::uint64_t dropped_lines() const;

private:
    struct State;
    std::shared_ptr<State> state_;  // shared with the thread, which may outlive this object
    std::thread thread_;
};

}  // namespace portcullis::observability
