// Pino-compatible JSON-lines logger (contract section 10) writing to a file descriptor (stdout).
// I/O threads buffer lines per thread and flush on a timer or when the buffer fills, so logging
// never takes a lock per line on the hot path; other threads hand over each line at once. Only the
// LogWriter's thread writes to the descriptor: a reader that stops reading costs dropped (and
// counted) lines, never a stalled I/O thread (issue #18 item 6).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "observability/log_writer.hpp"

namespace portcullis::observability {

enum class Level : int {
    trace = 10,
    debug = 20,
    info = 30,
    warn = 40,
    error = 50,
    fatal = 60,
    silent = 100
};

std::string_view level_label(Level level);

// Extra fields of a log line, rendered as `,"key":value` fragments in insertion order.
class LogFields {
public:
    LogFields& str(std::string_view key, std::string_view value);
    LogFields& num(std::string_view key, std::int64_t value);
    LogFields& num(std::string_view key, double value);
    LogFields& boolean(std::string_view key, bool value);
    // `json` must already be valid JSON text.
    LogFields& raw(std::string_view key, std::string_view json);
    // `err: {type, message}` as Pino serializes errors (no stack: C++ has none to give).
    LogFields& error(std::string_view type, std::string_view message);

    const std::string& text() const { return text_; }

private:
    void key(std::string_view key);
    std::string text_;
};

class Registry;

class Logger {
public:
    // Bytes of log output that may wait for the descriptor before lines are dropped.
    static constexpr std::size_t kDefaultQueueBytes = std::size_t{1} << 20;

    explicit Logger(Level min_level, int fd = 1, std::size_t queue_bytes = kDefaultQueueBytes);
    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;

    bool enabled(Level level) const {
        return static_cast<int>(level) >=
               static_cast<int>(min_level_.load(std::memory_order_relaxed));
    }
    void set_level(Level level) { min_level_.store(level, std::memory_order_relaxed); }

    // Application line: `{"level":"info","time":"<ISO>","pid":..,"hostname":..,<fields>,"msg":..}`.
    // Error lines flush this thread's buffer; a fatal line also waits (at most kFatalDrain) until
    // it has been written, as the process is about to end.
    void log(Level level, std::string_view msg, const LogFields& fields = LogFields{});
    static constexpr std::chrono::milliseconds kFatalDrain{1000};

    // Start of a request line: `{"level":30,"time":<epoch ms>,"pid":..,"hostname":..` (10.2).
    std::string request_line_prefix(Level level) const;

    // Writes one complete JSON line (a trailing newline is added).
    void write_line(std::string_view line);

    // Called on each I/O thread: lines from this thread are buffered until flush_thread_buffer().
    void buffer_this_thread();
    // Hands this thread's buffered lines to the writer; never waits for the descriptor.
    void flush_thread_buffer();
    // flush_thread_buffer(), then waits until everything logged so far has been written, at most
    // `timeout` (before exiting: a dead stdout must not hang the exit). False when time ran out.
    bool flush(std::chrono::milliseconds timeout);

    // Lines lost because the output did not keep up (portcullis_log_lines_dropped_total).
    std::uint64_t dropped_lines() const { return writer_.dropped_lines(); }

private:
    std::atomic<Level> min_level_;
    std::string pid_and_host_;  // `,"pid":123,"hostname":"host"`
    LogWriter writer_;
};

// Registers portcullis_log_lines_dropped_total, read from `logger` at scrape time; the logger must
// outlive the registry's scrapes.
void export_log_metrics(Registry& registry, const Logger& logger);

}  // namespace portcullis::observability
