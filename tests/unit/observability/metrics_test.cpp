// The metrics registry and its Prometheus text output (contract 9.1): HELP/TYPE lines, escaping,
// histogram series, gauge merging, shards of several threads merged at scrape; and the parsers of
// the process collector.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "observability/metrics.hpp"
#include "observability/process_metrics.hpp"

namespace portcullis::observability {
namespace {
using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsText, CounterWithoutLabelsIsWrittenAtZeroWithHelpAndType) {
    Registry registry;
    registry.counter("jobs_total", "Jobs done.");
    EXPECT_EQ(registry.scrape(),
              "# HELP jobs_total Jobs done.\n# TYPE jobs_total counter\njobs_total 0\n");
}

TEST(MetricsText, LabelledFamilyWithoutSeriesHasOnlyHelpAndType) {
    Registry registry;
    registry.gauge("temperature_celsius", "Temperature.", {"room"});
    EXPECT_EQ(registry.scrape(),
              "# HELP temperature_celsius Temperature.\n# TYPE temperature_celsius gauge\n");
}

TEST(MetricsText, HelpEscapesBackslashAndNewline) {
    std::string out;
    append_help_type(out, "m", "a\\b\nc \"q\"", MetricType::gauge);
    EXPECT_EQ(out, "# HELP m a\\\\b\\nc \"q\"\n# TYPE m gauge\n");
}

TEST(MetricsText, LabelValuesEscapeBackslashQuoteAndNewline) {
    Registry registry;
    auto& family = registry.counter("requests_total", "Requests.", {"path", "method"});
    family.local({"C:\\dir \"x\"\nnext", "GET"}).inc(2);
    EXPECT_THAT(
        registry.scrape(),
        HasSubstr("requests_total{path=\"C:\\\\dir \\\"x\\\"\\nnext\",method=\"GET\"} 2\n"));
}

TEST(MetricsText, ValuesUseShortestFormAndSpecialNames) {
    std::string out;
    for (const double v :
         {0.0, 1.0, 42.0, 0.005, 1.5e-7, 12345678.0, std::numeric_limits<double>::infinity(),
          -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
        append_value(out, v);
        out += ' ';
    }
    EXPECT_EQ(out, "0 1 42 0.005 1.5e-07 12345678 +Inf -Inf NaN ");
}

TEST(MetricsText, SeriesAreSortedByLabelValues) {
    Registry registry;
    auto& family = registry.counter("hits_total", "Hits.", {"route"});
    family.local({"/b"}).inc();
    family.local({"/a"}).inc(3);
    family.local({"/b"}).inc();
    EXPECT_EQ(registry.scrape(),
              "# HELP hits_total Hits.\n# TYPE hits_total counter\n"
              "hits_total{route=\"/a\"} 3\nhits_total{route=\"/b\"} 2\n");
}

TEST(MetricsText, HistogramHasCumulativeBucketsInfSumAndCount) {
    Registry registry;
    auto& family = registry.histogram("latency_seconds", "Latency.", {"route"}, {0.1, 0.5, 1});
    const auto h = family.local({"/x"});
    h.observe(0.05);
    h.observe(0.1);  // `le` is inclusive
    h.observe(0.3);
    h.observe(7);
    EXPECT_EQ(registry.scrape(),
              "# HELP latency_seconds Latency.\n# TYPE latency_seconds histogram\n"
              "latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"
              "latency_seconds_bucket{route=\"/x\",le=\"0.5\"} 3\n"
              "latency_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
              "latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
              "latency_seconds_sum{route=\"/x\"} 7.45\n"
              "latency_seconds_count{route=\"/x\"} 4\n");
}

TEST(MetricsText, UnlabelledHistogramStartsAtZero) {
    Registry registry;
    registry.histogram("wait_seconds", "Wait.", {}, {1});
    EXPECT_EQ(registry.scrape(),
              "# HELP wait_seconds Wait.\n# TYPE wait_seconds histogram\n"
              "wait_seconds_bucket{le=\"1\"} 0\nwait_seconds_bucket{le=\"+Inf\"} 0\n"
              "wait_seconds_sum 0\nwait_seconds_count 0\n");
}

TEST(MetricsText, DeclaredSeriesAppearAtZero) {
    Registry registry;
    auto& family = registry.counter("logins_total", "Logins.", {"outcome"});
    family.declare({"success"});
    family.declare({"success"});  // once only
    family.local({"locked"}).inc();
    EXPECT_EQ(registry.scrape(),
              "# HELP logins_total Logins.\n# TYPE logins_total counter\n"
              "logins_total{outcome=\"locked\"} 1\nlogins_total{outcome=\"success\"} 0\n");
}

TEST(MetricsText, FamiliesAndCollectorsKeepRegistrationOrder) {
    Registry registry;
    registry.gauge("b_gauge", "B.");
    registry.gauge_callback("a_callback", "A.", [] { return 2.5; });
    registry.counter("c_total", "C.");
    EXPECT_EQ(registry.scrape(),
              "# HELP b_gauge B.\n# TYPE b_gauge gauge\nb_gauge 0\n"
              "# HELP a_callback A.\n# TYPE a_callback gauge\na_callback 2.5\n"
              "# HELP c_total C.\n# TYPE c_total counter\nc_total 0\n");
}

TEST(Metrics, RejectsDuplicateAndInvalidNames) {
    Registry registry;
    registry.counter("x_total", "X.");
    EXPECT_THROW(registry.counter("x_total", "again"), std::invalid_argument);
    EXPECT_THROW(registry.gauge_callback("x_total", "again", [] { return 0.0; }),
                 std::invalid_argument);
    EXPECT_THROW(registry.counter("9bad", "X."), std::invalid_argument);
    EXPECT_THROW(registry.counter("bad-name", "X."), std::invalid_argument);
    EXPECT_THROW(registry.counter("ok_total", "X.", {"__reserved"}), std::invalid_argument);
    EXPECT_THROW(registry.histogram("h", "H.", {"le"}, {1}), std::invalid_argument);
    EXPECT_THROW(registry.histogram("h2", "H.", {}, {1, 1}), std::invalid_argument);
}

TEST(Metrics, WrongNumberOfLabelValuesThrows) {
    Registry registry;
    auto& family = registry.counter("y_total", "Y.", {"a", "b"});
    EXPECT_THROW(family.local({"only-one"}), std::invalid_argument);
    EXPECT_THROW(family.declare({"1", "2", "3"}), std::invalid_argument);
}

TEST(Metrics, LabelValuesCannotForgeAnotherSeries) {
    Registry registry;
    auto& family = registry.counter("z_total", "Z.", {"a", "b"});
    family.local({"x", "yz"}).inc();
    family.local({"xy", "z"}).inc();
    const auto text = registry.scrape();
    EXPECT_THAT(text, HasSubstr("z_total{a=\"x\",b=\"yz\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("z_total{a=\"xy\",b=\"z\"} 1\n"));
}

TEST(Metrics, ShardsOfSeveralThreadsAreMergedAtScrape) {
    Registry registry;
    auto& counter = registry.counter("work_total", "Work.", {"kind"});
    auto& histogram = registry.histogram("work_seconds", "Work time.", {"kind"}, {0.5});
    auto& connections = registry.gauge("connections", "Connections.", {}, GaugeMerge::sum);
    auto& lag = registry.gauge("lag_seconds", "Lag.", {}, GaugeMerge::max);

    constexpr int kThreads = 4;
    constexpr int kIterations = 10000;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            const auto c = counter.local({"a"});
            const auto h = histogram.local({"a"});
            for (int i = 0; i < kIterations; ++i) {
                c.inc();
                h.observe(i % 2 == 0 ? 0.25 : 1.0);
            }
            counter.local({t % 2 == 0 ? "even" : "odd"}).inc();
            connections.local().set(t + 1);
            lag.local().set(0.01 * (t + 1));
        });
    }
    // Scrapes while the threads record must be safe and see monotonic counts.
    double previous = 0;
    for (int i = 0; i < 20; ++i) {
        const auto text = registry.scrape();
        const auto at = text.find("work_total{kind=\"a\"} ");
        if (at == std::string::npos) continue;
        const double now = std::stod(text.substr(at + 21));
        EXPECT_GE(now, previous);
        previous = now;
    }
    for (auto& thread : threads) thread.join();

    const auto text = registry.scrape();
    EXPECT_THAT(text, HasSubstr("work_total{kind=\"a\"} 40000\n"));
    EXPECT_THAT(text, HasSubstr("work_total{kind=\"even\"} 2\n"));
    EXPECT_THAT(text, HasSubstr("work_total{kind=\"odd\"} 2\n"));
    EXPECT_THAT(text, HasSubstr("work_seconds_bucket{kind=\"a\",le=\"0.5\"} 20000\n"));
    EXPECT_THAT(text, HasSubstr("work_seconds_bucket{kind=\"a\",le=\"+Inf\"} 40000\n"));
    EXPECT_THAT(text, HasSubstr("work_seconds_sum{kind=\"a\"} 25000\n"));
    EXPECT_THAT(text, HasSubstr("work_seconds_count{kind=\"a\"} 40000\n"));
    EXPECT_THAT(text, HasSubstr("\nconnections 10\n"));
    EXPECT_THAT(text, HasSubstr("\nlag_seconds 0.04\n"));
}

TEST(Metrics, MaxMergedGaugeMayBeNegative) {
    Registry registry;
    auto& gauge = registry.gauge("offset_seconds", "Offset.", {"clock"}, GaugeMerge::max);
    std::thread([&] { gauge.local({"a"}).set(-3); }).join();
    std::thread([&] { gauge.local({"a"}).set(-2); }).join();
    EXPECT_THAT(registry.scrape(), HasSubstr("offset_seconds{clock=\"a\"} -2\n"));
}

TEST(Metrics, SeparateRegistriesDoNotShareSeries) {
    Registry first;
    Registry second;
    first.counter("n_total", "N.").local().inc(5);
    second.counter("n_total", "N.").local().inc(1);
    EXPECT_THAT(first.scrape(), HasSubstr("n_total 5\n"));
    EXPECT_THAT(second.scrape(), HasSubstr("n_total 1\n"));
}

TEST(ProcessMetrics, ParsesStartTimeAfterACommandNameWithSpacesAndParentheses) {
    const std::string stat =
        "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 1004 0 0 0 7 3 0 0 20 0 3 0 "
        "123456 174743552 3437 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";
    const auto parsed = parse_proc_stat(stat);
    ASSERT_TRUE(parsed.has_value());
    EXPECT_EQ(parsed->start_ticks, 123456u);
    EXPECT_FALSE(parse_proc_stat("garbage").has_value());
    EXPECT_FALSE(parse_proc_stat("1 (x) S 1 2 3").has_value());
}

TEST(ProcessMetrics, ParsesStatusSizesInBytes) {
    const std::string status =
        "Name:\tportcullis\nVmPeak:\t  200000 kB\nVmSize:\t  170648 kB\nVmRSS:\t   13748 kB\n"
        "VmData:\t   17640 kB\nThreads:\t3\n";
    EXPECT_EQ(parse_status_bytes(status, "VmRSS"), 13748u * 1024);
    EXPECT_EQ(parse_status_bytes(status, "VmSize"), 170648u * 1024);
    EXPECT_EQ(parse_status_bytes(status, "VmData"), 17640u * 1024);
    EXPECT_EQ(parse_status_bytes(status, "Threads"), 3u);
    EXPECT_FALSE(parse_status_bytes(status, "VmSwap").has_value());
    EXPECT_FALSE(parse_status_bytes(status, "Vm").has_value());
}

TEST(ProcessMetrics, ParsesBootTime) {
    EXPECT_EQ(parse_boot_time("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocesses 9\n"), 1700000000u);
    EXPECT_FALSE(parse_boot_time("cpu 1\n").has_value());
}

TEST(ProcessMetrics, CollectorWritesEveryProcessFamily) {
    Registry registry;
    add_process_collector(registry);
    const auto text = registry.scrape();
    for (const char* name : {"process_cpu_user_seconds_total", "process_cpu_system_seconds_total",
                             "process_cpu_seconds_total", "process_start_time_seconds",
                             "process_resident_memory_bytes", "process_virtual_memory_bytes",
                             "process_heap_bytes", "process_open_fds", "process_max_fds"}) {
        EXPECT_THAT(text, HasSubstr(std::string("\n") + name + " ")) << name;
    }
    EXPECT_THAT(text, Not(HasSubstr("process_resident_memory_bytes 0\n")));
    EXPECT_THAT(text, Not(HasSubstr("process_open_fds 0\n")));
}

}  // namespace
}  // namespace portcullis::observability
