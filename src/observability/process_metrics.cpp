// See process_metrics.hpp. Memory comes from /proc/self/status (VmRSS, VmSize, VmData) and open
// file descriptors from /proc/self/fd, as prom-client reads them; CPU time from getrusage, which
// has microsecond resolution where /proc/self/stat only counts clock ticks.
#include "observability/process_metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <fstream>
#include <iterator>
#include <limits>
#include <string>

#include "observability/metrics.hpp"

namespace portcullis::observability {
namespace {

std::string read_file(const char* path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::optional<std::uint64_t> parse_unsigned(std::string_view text) {
    std::uint64_t value = 0;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), value);
    if (result.ec != std::errc{} || result.ptr == text.data()) return std::nullopt;
    return value;
}

std::string_view skip_spaces(std::string_view text) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    return text;
}

// Entries of /proc/self/fd, without the descriptor opendir() itself holds while counting.
double open_fds() {
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) return 0;
    double count = 0;
    while (const dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] != '.') ++count;
    }
    ::closedir(dir);
    return count > 0 ? count - 1 : 0;
}

double max_fds() {
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
    return limit.rlim_cur == RLIM_INFINITY ? std::numeric_limits<double>::infinity()
                                           : static_cast<double>(limit.rlim_cur);
}

double seconds(const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
}

double start_time_seconds() {
    const auto stat = parse_proc_stat(read_file("/proc/self/stat"));
    const auto boot = parse_boot_time(read_file("/proc/stat"));
    const long ticks = ::sysconf(_SC_CLK_TCK);
    if (stat && boot && ticks > 0) {
        return static_cast<double>(*boot) +
               static_cast<double>(stat->start_ticks) / static_cast<double>(ticks);
    }
    // Unreadable /proc: registration happens at start-up, so "now" is close enough.
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

void write_process_metrics(std::string& out, double start_time) {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    const double user = seconds(usage.ru_utime);
    const double system = seconds(usage.ru_stime);
    auto one = [&out](std::string_view name, std::string_view help, MetricType type, double v) {
        append_help_type(out, name, help, type);
        append_sample(out, name, {}, v);
    };
    one("process_cpu_user_seconds_total", "Total user CPU time spent in seconds.",
        MetricType::counter, user);
    one("process_cpu_system_seconds_total", "Total system CPU time spent in seconds.",
        MetricType::counter, system);
    one("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.",
        MetricType::counter, user + system);
    one("process_start_time_seconds", "Start time of the process since unix epoch in seconds.",
        MetricType::gauge, start_time);

    const std::string status = read_file("/proc/self/status");
    one("process_resident_memory_bytes", "Resident memory size in bytes.", MetricType::gauge,
        static_cast<double>(parse_status_bytes(status, "VmRSS").value_or(0)));
    one("process_virtual_memory_bytes", "Virtual memory size in bytes.", MetricType::gauge,
        static_cast<double>(parse_status_bytes(status, "VmSize").value_or(0)));
    one("process_heap_bytes", "Process heap size in bytes.", MetricType::gauge,
        static_cast<double>(parse_status_bytes(status, "VmData").value_or(0)));
    one("process_open_fds", "Number of open file descriptors.", MetricType::gauge, open_fds());
    one("process_max_fds", "Maximum number of open file descriptors.", MetricType::gauge,
        max_fds());
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(std::string_view text) {
    // The command name (field 2) is in parentheses and may contain both: cut at the last ')'.
    const auto close = text.rfind(')');
    if (close == std::string_view::npos) return std::nullopt;
    std::string_view rest = text.substr(close + 1);
    // Fields from (3) state on, separated by single spaces.
    int field = 3;
    while (true) {
        rest = skip_spaces(rest);
        if (rest.empty()) return std::nullopt;
        const auto end = rest.find_first_of(" \n");
        const auto token = rest.substr(0, end);
        if (field == 22) {
            const auto ticks = parse_unsigned(token);
            if (!ticks) return std::nullopt;
            return ProcStat{*ticks};
        }
        if (end == std::string_view::npos) return std::nullopt;
        rest.remove_prefix(end);
        ++field;
    }
}

std::optional<std::uint64_t> parse_status_bytes(std::string_view status, std::string_view key) {
    while (!status.empty()) {
        const auto newline = status.find('\n');
        std::string_view line = status.substr(0, newline);
        status =
            newline == std::string_view::npos ? std::string_view{} : status.substr(newline + 1);
        if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != ':') {
            continue;
        }
        line = skip_spaces(line.substr(key.size() + 1));
        const auto digits = line.find_first_not_of("0123456789");
        const auto value = parse_unsigned(line.substr(0, digits));
        if (!value) return std::nullopt;
        const auto unit = skip_spaces(digits == std::string_view::npos ? std::string_view{}
                                                                       : line.substr(digits));
        if (unit.starts_with("kB")) return *value * 1024;
        return *value;
    }
    return std::nullopt;
}

std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat) {
    while (!proc_stat.empty()) {
        const auto newline = proc_stat.find('\n');
        const std::string_view line = proc_stat.substr(0, newline);
        proc_stat =
            newline == std::string_view::npos ? std::string_view{} : proc_stat.substr(newline + 1);
        if (line.starts_with("btime ")) return parse_unsigned(skip_spaces(line.substr(6)));
    }
    return std::nullopt;
}

void add_process_collector(Registry& registry) {
    registry.add_collector(
        {"process_cpu_user_seconds_total", "process_cpu_system_seconds_total",
         "process_cpu_seconds_total", "process_start_time_seconds", "process_resident_memory_bytes",
         "process_virtual_memory_bytes", "process_heap_bytes", "process_open_fds",
         "process_max_fds"},
        [start = start_time_seconds()](std::string& out) { write_process_metrics(out, start); });
}

}  // namespace portcullis::observability
