// Pino-compatible JSON-lines logger (contract section 10) writing to a file descriptor (stdout).
// I/O threads buffer lines per thread and flush on a timer or when the buffer fills, so logging
// never takes a lock per line on the hot path; other threads write each line at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

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

class Logger {
public:
    explicit Logger(Level min_level, int fd = 1);
    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;

    bool enabled(Level level) const {
        return static_cast<int>(level) >=
               static_cast<int>(min_level_.load(std::memory_order_relaxed));
    }
    void set_level(Level level) { min_level_.store(level, std::memory_order_relaxed); }

    // Application line: `{"level":"info","time":"<ISO>","pid":..,"hostname":..,<fields>,"msg":..}`.
    void log(Level level, std::string_view msg, const LogFields& fields = LogFields{});

    // Start of a request line: `{"level":30,"time":<epoch ms>,"pid":..,"hostname":..` (10.2).
    std::string request_line_prefix(Level level) const;

    // Writes one complete JSON line (a trailing newline is added).
    void write_line(std::string_view line);

    // Called on each I/O thread: lines from this thread are buffered until flush_thread_buffer().
    void buffer_this_thread();
    void flush_thread_buffer();

private:
    void write_all(std::string_view data);

    std::atomic<Level> min_level_;
    int fd_;
    std::string pid_and_host_;  // `,"pid":123,"hostname":"host"`
    std::mutex write_mutex_;
};

}  // namespace portcullis::observability
