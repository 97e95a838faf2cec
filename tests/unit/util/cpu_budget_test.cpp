// Pins the cgroup CPU-limit reading (issue #18, point 9) on fake cgroup trees: v1, v2, hybrid,
// nested cgroups whose ancestors are tighter, and the "no limit" forms.
#include "util/cpu_budget.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>

namespace portcullis::util {
namespace {

FileReader files(std::map<std::string, std::string> content) {
    return [content = std::move(content)](const std::string& path) -> std::optional<std::string> {
        const auto it = content.find(path);
        if (it == content.end()) return std::nullopt;
        return it->second;
    };
}

TEST(CgroupCpuLimit, V2QuotaOverPeriod) {
    const auto read = files({{"/cg/kubepods/pod1/cpu.max", "50000 100000\n"}});
    EXPECT_DOUBLE_EQ(*cgroup_cpu_limit("0::/kubepods/pod1\n", "/cg", read), 0.5);
}

TEST(CgroupCpuLimit, V2MaxMeansNoLimit) {
    const auto read = files({{"/cg/cpu.max", "max 100000\n"}});
    EXPECT_FALSE(cgroup_cpu_limit("0::/\n", "/cg", read));
}

TEST(CgroupCpuLimit, TightestAncestorWins) {
    const auto read = files({{"/cg/a/b/cpu.max", "400000 100000"},
                             {"/cg/a/cpu.max", "150000 100000"},
                             {"/cg/cpu.max", "max 100000"}});
    EXPECT_DOUBLE_EQ(*cgroup_cpu_limit("0::/a/b", "/cg", read), 1.5);
}

TEST(CgroupCpuLimit, V1CpuController) {
    const auto read = files({{"/cg/cpu,cpuacct/docker/x/cpu.cfs_quota_us", "200000\n"},
                             {"/cg/cpu,cpuacct/docker/x/cpu.cfs_period_us", "100000\n"}});
    const std::string self = "12:memory:/docker/x\n4:cpu,cpuacct:/docker/x\n1:name=systemd:/\n";
    EXPECT_DOUBLE_EQ(*cgroup_cpu_limit(self, "/cg", read), 2.0);
}

TEST(CgroupCpuLimit, V1UnlimitedQuotaIsMinusOne) {
    const auto read =
        files({{"/cg/cpu/cpu.cfs_quota_us", "-1\n"}, {"/cg/cpu/cpu.cfs_period_us", "100000\n"}});
    EXPECT_FALSE(cgroup_cpu_limit("1:cpu:/\n0::/\n", "/cg", read));
}

TEST(CgroupCpuLimit, HybridUnifiedMount) {
    const auto read = files({{"/cg/unified/svc/cpu.max", "100000 100000"}});
    EXPECT_DOUBLE_EQ(*cgroup_cpu_limit("1:cpu:/svc\n0::/svc\n", "/cg", read), 1.0);
}

TEST(CgroupCpuLimit, ControllerListMustNameCpuExactly) {
    const auto read = files(
        {{"/cg/cpuacct/cpu.cfs_quota_us", "100000"}, {"/cg/cpuacct/cpu.cfs_period_us", "100000"}});
    EXPECT_FALSE(cgroup_cpu_limit("2:cpuacct:/\n", "/cg", read));
}

TEST(CgroupCpuLimit, GarbageIsIgnored) {
    const auto read = files({{"/cg/cpu.max", "lots 100000"}, {"/cg/x/cpu.max", "100000"}});
    EXPECT_FALSE(cgroup_cpu_limit("0::/x\nnot a line\n::\n", "/cg", read));
}

TEST(CpuBudget, NeverBelowOneNorAboveTheOnlineCpus) {
    const CpuBudget budget = cpu_budget("/nonexistent-cgroup-root");
    EXPECT_GE(budget.cpus, 1);
    EXPECT_LE(budget.cpus, budget.online);
    EXPECT_FALSE(budget.quota);
}

}  // namespace
}  // namespace portcullis::util
