// See cpu_budget.hpp.
#include "util/cpu_budget.hpp"

#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fstream>
#include <iterator>
#include <sstream>
#include <thread>
#include <vector>

#include "util/strings.hpp"

namespace portcullis::util {
namespace {

std::optional<double> number(std::string_view text) {
    text = trim(text);
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return value;
}

// `/a/b` → `/a/b`, `/a`, `/` (the cgroup and every ancestor up to the hierarchy's root).
std::vector<std::string> ancestors(std::string path) {
    std::vector<std::string> out;
    if (path.empty() || path.front() != '/') path.insert(path.begin(), '/');
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    for (;;) {
        out.push_back(path);
        if (path == "/") break;
        const auto slash = path.rfind('/');
        path = slash == 0 ? "/" : path.substr(0, slash);
    }
    return out;
}

std::string join(const std::string& root, const std::string& dir, std::string_view file) {
    std::string path = root;
    if (dir != "/") path += dir;
    path += '/';
    path += file;
    return path;
}

void keep_tighter(std::optional<double>& limit, double candidate) {
    if (candidate > 0 && (!limit || candidate < *limit)) limit = candidate;
}

// v2: `cpu.max` holds "<quota> <period>" or "max <period>".
void v2_limit(const std::string& mount, const std::string& path, const FileReader& read,
              std::optional<double>& limit) {
    for (const auto& dir : ancestors(path)) {
        const auto text = read(join(mount, dir, "cpu.max"));
        if (!text) continue;
        std::istringstream fields(*text);
        std::string quota_text;
        std::string period_text;
        if (!(fields >> quota_text >> period_text) || quota_text == "max") continue;
        const auto quota = number(quota_text);
        const auto period = number(period_text);
        if (quota && period && *period > 0) keep_tighter(limit, *quota / *period);
    }
}

// v1: `cpu.cfs_quota_us` (-1: none) over `cpu.cfs_period_us`.
void v1_limit(const std::string& mount, const std::string& path, const FileReader& read,
              std::optional<double>& limit) {
    for (const auto& dir : ancestors(path)) {
        const auto quota_text = read(join(mount, dir, "cpu.cfs_quota_us"));
        const auto period_text = read(join(mount, dir, "cpu.cfs_period_us"));
        if (!quota_text || !period_text) continue;
        const auto quota = number(*quota_text);
        const auto period = number(*period_text);
        if (quota && period && *quota > 0 && *period > 0) keep_tighter(limit, *quota / *period);
    }
}

// Whether a comma-separated controller list such as `cpu,cpuacct` holds `cpu`.
bool names_cpu_controller(std::string_view controllers) {
    std::size_t start = 0;
    while (start <= controllers.size()) {
        auto end = controllers.find(',', start);
        if (end == std::string_view::npos) end = controllers.size();
        if (controllers.substr(start, end - start) == "cpu") return true;
        start = end + 1;
    }
    return false;
}

std::optional<std::string> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

std::optional<double> cgroup_cpu_limit(std::string_view self_cgroup, const std::string& root,
                                       const FileReader& read) {
    std::optional<double> limit;
    std::size_t start = 0;
    while (start < self_cgroup.size()) {
        auto end = self_cgroup.find('\n', start);
        if (end == std::string_view::npos) end = self_cgroup.size();
        const std::string_view line = self_cgroup.substr(start, end - start);
        start = end + 1;
        // `<id>:<controllers>:<path>`; the path may itself contain ':'.
        const auto first = line.find(':');
        const auto second = first == std::string_view::npos ? first : line.find(':', first + 1);
        if (second == std::string_view::npos) continue;
        const std::string_view controllers = line.substr(first + 1, second - first - 1);
        const std::string path(line.substr(second + 1));
        if (line.substr(0, first) == "0" && controllers.empty()) {
            // The unified hierarchy: mounted at the root (pure v2) or at root/unified (hybrid).
            v2_limit(root, path, read, limit);
            v2_limit(root + "/unified", path, read, limit);
            continue;
        }
        if (!names_cpu_controller(controllers)) continue;
        // v1 mounts the cpu controller alone or co-mounted with cpuacct.
        for (const char* mount : {"/cpu", "/cpu,cpuacct", "/cpuacct,cpu"}) {
            v1_limit(root + mount, path, read, limit);
        }
    }
    return limit;
}

CpuBudget cpu_budget(const std::string& root) {
    CpuBudget budget;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        budget.online = CPU_COUNT(&set);
    } else {
        budget.online = static_cast<int>(std::thread::hardware_concurrency());
    }
    budget.online = std::max(1, budget.online);
    budget.cpus = budget.online;
    if (const auto self = read_file("/proc/self/cgroup")) {
        budget.quota = cgroup_cpu_limit(*self, root, read_file);
    }
    if (budget.quota) {
        // A fractional quota still needs a whole thread; 1.5 CPUs run best on 2.
        const int whole = static_cast<int>(std::ceil(*budget.quota - 1e-9));
        budget.cpus = std::clamp(whole, 1, budget.online);
    }
    return budget;
}

}  // namespace portcullis::util
