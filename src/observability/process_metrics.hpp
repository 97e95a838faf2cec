// The `process_*` families of contract 9.1, as prom-client computes them on Linux, read at scrape
// time from /proc/self, getrusage and getrlimit. The parsers are pure so they can be unit-tested.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace portcullis::observability {

class Registry;

// The fields of /proc/self/stat this collector needs (proc(5) numbering in the comments).
struct ProcStat {
    std::uint64_t start_ticks = 0;  // (22) starttime, clock ticks after boot
};
// Parses /proc/<pid>/stat text; the command name may hold spaces and parentheses.
std::optional<ProcStat> parse_proc_stat(std::string_view text);

// A `Key:   1234 kB` line of /proc/<pid>/status, in bytes.
std::optional<std::uint64_t> parse_status_bytes(std::string_view status, std::string_view key);

// `btime` of /proc/stat: the boot time in seconds since the epoch.
std::optional<std::uint64_t> parse_boot_time(std::string_view proc_stat);

// Registers process_cpu_user_seconds_total, process_cpu_system_seconds_total,
// process_cpu_seconds_total, process_start_time_seconds, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_heap_bytes, process_open_fds and process_max_fds.
// The start time is computed once, here.
void add_process_collector(Registry& registry);

}  // namespace portcullis::observability
