// Thread pools follow the container's CPU quota (issue #18, point 9): a pod-like run with a
// cgroup quota of one CPU and IO_THREADS unset runs one I/O thread and says so at start.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include "server_process.hpp"

namespace portcullis::test {
namespace {
namespace fs = std::filesystem;

// A cgroup tree in a temporary folder that limits every cgroup below it to `quota` CPUs, in both
// the v2 and the v1 layouts (whichever this machine's /proc/self/cgroup names).
class FakeCgroupRoot {
public:
    explicit FakeCgroupRoot(int quota) {
        std::string templ = (fs::temp_directory_path() / "portcullis-cgroup-XXXXXX").string();
        if (::mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        root_ = templ;
        write(root_ / "cpu.max", std::to_string(quota * 100000) + " 100000\n");
        for (const char* v1 : {"cpu", "cpu,cpuacct"}) {
            fs::create_directories(root_ / v1);
            write(root_ / v1 / "cpu.cfs_quota_us", std::to_string(quota * 100000) + "\n");
            write(root_ / v1 / "cpu.cfs_period_us", "100000\n");
        }
    }
    ~FakeCgroupRoot() {
        std::error_code ignored;
        fs::remove_all(root_, ignored);
    }
    std::string path() const { return root_.string(); }

private:
    static void write(const fs::path& path, const std::string& text) {
        std::ofstream(path) << text;
    }
    fs::path root_;
};

int count_threads_named(pid_t pid, const std::string& name) {
    int count = 0;
    for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
        std::ifstream comm(task.path() / "comm");
        std::string text;
        std::getline(comm, text);
        if (text == name) ++count;
    }
    return count;
}

// The count once it reaches `expected` (threads name themselves as they start), else the last.
int threads_named(pid_t pid, const std::string& name, int expected) {
    int count = 0;
    for (int i = 0; i < 200 && (count = count_threads_named(pid, name)) != expected; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return count;
}

TEST(CpuBudget, AOneCpuQuotaGivesOneIoThread) {
    FakeCgroupRoot cgroup(1);
    auto env = base_env();
    env.erase("IO_THREADS");
    env["PORTCULLIS_CGROUP_ROOT"] = cgroup.path();
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto line = server.wait_for_line(
        [](const auto& l) { return json_string_at(l, {"msg"}) == "Thread pools sized"; });
    ASSERT_TRUE(line) << server.output();
    const auto& fields = line->as_object();
    EXPECT_EQ(fields.at("ioThreads").as_int64(), 1);
    EXPECT_EQ(fields.at("hashingThreads").as_int64(), 1);
    EXPECT_EQ(fields.at("cpuQuota").to_number<double>(), 1.0);
    EXPECT_EQ(threads_named(server.pid(), "portcullis-io", 1), 1);
}

TEST(CpuBudget, WithoutAQuotaEveryOnlineCpuGetsAnIoThread) {
    FakeCgroupRoot unlimited(0);  // quota 0: treated as no limit
    auto env = base_env();
    env.erase("IO_THREADS");
    env["PORTCULLIS_CGROUP_ROOT"] = unlimited.path();
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto online = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
    EXPECT_EQ(threads_named(server.pid(), "portcullis-io", online), online);
    // An explicit IO_THREADS wins over the budget.
    env["IO_THREADS"] = "3";
    ServerProcess explicit_threads(env);
    ASSERT_TRUE(explicit_threads.wait_healthy()) << explicit_threads.output();
    EXPECT_EQ(threads_named(explicit_threads.pid(), "portcullis-io", 3), 3);
}

}  // namespace
}  // namespace portcullis::test
