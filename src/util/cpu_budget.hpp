// How many CPUs the process may really use: the smaller of its CPU affinity and its cgroup CPU
// quota (v1 `cpu.cfs_quota_us`/`cpu.cfs_period_us` or v2 `cpu.max`, the tightest along the
// cgroup's ancestors). In a pod limited to 500m CPU, hardware_concurrency() still reports the
// node's cores; sizing thread pools from it oversubscribes the quota and causes throttling.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::util {

struct CpuBudget {
    int cpus = 1;                 // what to size pools from: at least 1
    int online = 1;               // CPUs the scheduler lets this process run on
    std::optional<double> quota;  // the cgroup limit in CPUs, when one is set
};

// Reads a file's whole content; nullopt when it cannot be read.
using FileReader = std::function<std::optional<std::string>(const std::string& path)>;

// The tightest cgroup CPU limit for a process whose `/proc/self/cgroup` reads `self_cgroup`,
// with the cgroup filesystem mounted at `root`. Pure apart from `read`; nullopt when no limit.
std::optional<double> cgroup_cpu_limit(std::string_view self_cgroup, const std::string& root,
                                       const FileReader& read);

// The budget of the running process (`root` is normally /sys/fs/cgroup).
CpuBudget cpu_budget(const std::string& root = "/sys/fs/cgroup");

}  // namespace portcullis::util
