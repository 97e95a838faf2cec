// See logger.hpp.
#include "observability/logger.hpp"

#include <unistd.h>

#include <cerrno>
#include <chrono>

#include "observability/metrics.hpp"
#include "util/json_text.hpp"
#include "util/time.hpp"

namespace portcullis::observability {
namespace {
using util::append_json_number;
using util::append_json_string;

constexpr std::size_t kThreadBufferFlushBytes = 32 * 1024;

struct ThreadBuffer {
    bool enabled = false;
    std::string data;
};
thread_local ThreadBuffer tl_buffer;

std::string host_name() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
    return buf;
}
}  // namespace

std::string_view level_label(Level level) {
    switch (level) {
        case Level::trace:
            return "trace";
        case Level::debug:
            return "debug";
        case Level::info:
            return "info";
        case Level::warn:
            return "warn";
        case Level::error:
            return "error";
        case Level::fatal:
            return "fatal";
        case Level::silent:
            return "silent";
    }
    return "info";
}

void LogFields::key(std::string_view key) {
    text_.push_back(',');
    append_json_string(text_, key);
    text_.push_back(':');
}

LogFields& LogFields::str(std::string_view k, std::string_view value) {
    key(k);
    append_json_string(text_, value);
    return *this;
}

LogFields& LogFields::num(std::string_view k, std::int64_t value) {
    key(k);
    append_json_number(text_, value);
    return *this;
}

LogFields& LogFields::num(std::string_view k, double value) {
    key(k);
    append_json_number(text_, value);
    return *this;
}

LogFields& LogFields::boolean(std::string_view k, bool value) {
    key(k);
    text_.append(value ? "true" : "false");
    return *this;
}

LogFields& LogFields::raw(std::string_view k, std::string_view json) {
    key(k);
    text_.append(json);
    return *this;
}

LogFields& LogFields::error(std::string_view type, std::string_view message) {
    key("err");
    text_.append("{\"type\":");
    append_json_string(text_, type);
    text_.append(",\"message\":");
    append_json_string(text_, message);
    text_.push_back('}');
    return *this;
}

Logger::Logger(Level min_level, int fd, std::size_t queue_bytes)
    : min_level_(min_level), writer_(fd, queue_bytes) {
    pid_and_host_ = ",\"pid\":";
    append_json_number(pid_and_host_, static_cast<std::int64_t>(getpid()));
    pid_and_host_ += ",\"hostname\":";
    append_json_string(pid_and_host_, host_name());
}

void Logger::log(Level level, std::string_view msg, const LogFields& fields) {
    if (!enabled(level)) return;
    std::string line;
    line.reserve(128 + fields.text().size() + msg.size());
    line += "{\"level\":";
    append_json_string(line, level_label(level));
    line += ",\"time\":";
    append_json_string(line, util::format_iso8601_ms(std::chrono::system_clock::now()));
    line += pid_and_host_;
    line += fields.text();
    line += ",\"msg\":";
    append_json_string(line, msg);
    line += '}';
    write_line(line);
    if (level >= Level::fatal) {
        flush(kFatalDrain);
    } else if (level >= Level::error) {
        flush_thread_buffer();
    }
}

std::string Logger::request_line_prefix(Level level) const {
    std::string line;
    line.reserve(512);
    line += "{\"level\":";
    append_json_number(line, static_cast<std::int64_t>(level));
    line += ",\"time\":";
    append_json_number(line, util::epoch_ms(std::chrono::system_clock::now()));
    line += pid_and_host_;
    return line;
}

void Logger::write_line(std::string_view line) {
    auto& buffer = tl_buffer;
    if (buffer.enabled) {
        buffer.data.append(line);
        buffer.data.push_back('\n');
        if (buffer.data.size() >= kThreadBufferFlushBytes) flush_thread_buffer();
        return;
    }
    std::string copy;
    copy.reserve(line.size() + 1);
    copy.append(line);
    copy.push_back('\n');
    writer_.push(std::move(copy));
}

void Logger::buffer_this_thread() {
    tl_buffer.enabled = true;
}

void Logger::flush_thread_buffer() {
    auto& buffer = tl_buffer;
    if (buffer.data.empty()) return;
    std::string chunk;
    chunk.reserve(kThreadBufferFlushBytes + 1024);
    chunk.swap(buffer.data);  // the buffer keeps a fresh allocation of its usual size
    writer_.push(std::move(chunk));
}

bool Logger::flush(std::chrono::milliseconds timeout) {
    flush_thread_buffer();
    return writer_.drain(timeout);
}

void export_log_metrics(Registry& registry, const Logger& logger) {
    static constexpr std::string_view kName = "portcullis_log_lines_dropped_total";
    registry.add_collector({std::string(kName)}, [&logger](std::string& out) {
        append_help_type(out, kName, "Log lines dropped because standard output did not keep up.",
                         MetricType::counter);
        append_sample(out, kName, {}, static_cast<double>(logger.dropped_lines()));
    });
}

}  // namespace portcullis::observability
