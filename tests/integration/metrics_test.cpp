// GET /metrics (contract 9, decisions A.3, B.2, B.4, B.11, C.4): guards and production rules,
// the metrics_guard warn line, the route label and its cardinality, `promtool check metrics` on
// the live output, and the metric names the Grafana dashboard queries.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>
#include <thread>

#include "harness.hpp"
#include "http_client.hpp"
#include "server_process.hpp"

namespace portcullis::test {
namespace {
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kSecret = "metrics-secret-0123456789";
constexpr const char* kMissingBody =
    R"({"error":{"message":"Missing or invalid metrics secret","code":"METRICS_GUARD_MISSING"}})";
constexpr const char* kInvalidBody =
    R"({"error":{"message":"Missing or invalid metrics secret","code":"METRICS_GUARD_INVALID"}})";
constexpr const char* kForbiddenBody =
    R"({"error":{"message":"Metrics access forbidden","code":"METRICS_GUARD_FORBIDDEN"}})";

Env production_env() {
    auto env = base_env();
    env["APP_ENV"] = "production";
    env["CORS_ORIGINS"] = "https://allowed.example";
    env["RATE_LIMIT_REDIS_URL"] = require_redis();
    return env;
}

Env secret_env(Env env = base_env()) {
    env["METRICS_GUARD"] = "secret";
    env["METRICS_GUARD_SECRET"] = std::string("  ") + kSecret + "\t ";  // trimmed by config
    return env;
}

Env cidr_env(const std::string& allowlist, const std::string& trust_proxy, Env env = base_env()) {
    env["METRICS_GUARD"] = "cidr";
    env["METRICS_GUARD_ALLOWLIST"] = allowlist;
    env["TRUST_PROXY"] = trust_proxy;
    return env;
}

// The exposition, asserting a 200 with the right content type.
std::string scrape(std::uint16_t port,
                   std::vector<std::pair<std::string, std::string>> headers = {}) {
    const auto r = get(port, "/metrics", std::move(headers));
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    return r.body;
}

// The value of the sample whose name and labels are exactly `series`, e.g.
// `http_requests_total{method="GET",route="/health",status_code="200"}`.
std::optional<double> sample(const std::string& text, const std::string& series) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
            line[series.size()] == ' ') {
            return std::stod(line.substr(series.size() + 1));
        }
    }
    return std::nullopt;
}

std::string requests(const std::string& method, const std::string& route, int status) {
    return "http_requests_total{method=\"" + method + "\",route=\"" + route + "\",status_code=\"" +
           std::to_string(status) + "\"}";
}

std::size_t count_lines_starting(const std::string& text, const std::string& prefix) {
    std::istringstream in(text);
    std::size_t n = 0;
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with(prefix)) ++n;
    }
    return n;
}

// Waits for the metrics_guard warn line with `reason` and returns it.
std::optional<boost::json::value> guard_line(const ServerProcess& server,
                                             const std::string& reason) {
    return server.wait_for_line([&](const boost::json::value& v) {
        return json_string_at(v, {"component"}) == "metrics_guard" &&
               json_string_at(v, {"reason"}) == reason;
    });
}

// Runs `command` with `input` on stdin; returns exit status and combined output.
std::pair<int, std::string> run_with_input(const std::string& command, const std::string& input) {
    const auto dir = std::filesystem::temp_directory_path();
    const auto input_path = dir / ("portcullis-metrics-" + std::to_string(::getpid()) + ".txt");
    std::ofstream(input_path) << input;
    std::string output;
    FILE* pipe = ::popen((command + " < '" + input_path.string() + "' 2>&1").c_str(), "r");
    if (pipe == nullptr) return {-1, "popen failed"};
    char buffer[4096];
    for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) {
        output.append(buffer, n);
    }
    const int status = ::pclose(pipe);
    std::filesystem::remove(input_path);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
}

TEST(Metrics, DevelopmentServesWithoutGuardEvenWhenNotEnabled) {
    auto env = base_env();
    env["METRICS_ENABLED"] = "false";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto r = get(server.port(), "/metrics");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_FALSE(r.has_header("etag"));
    EXPECT_THAT(r.body, HasSubstr("# HELP http_requests_total Total number of HTTP requests\n"
                                  "# TYPE http_requests_total counter\n"));
    EXPECT_THAT(r.body, HasSubstr("# TYPE http_request_duration_seconds histogram\n"));
    EXPECT_THAT(r.body, HasSubstr("\nprocess_cpu_seconds_total "));
    // The health probe of the harness was counted.
    EXPECT_GE(sample(r.body, requests("GET", "/health", 200)).value_or(0), 1);
}

TEST(Metrics, SecretGuardAnswersMissingInvalidAndOk) {
    ServerProcess server(secret_env());
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto port = server.port();

    auto missing = get(port, "/metrics");
    EXPECT_EQ(missing.status, 401);
    EXPECT_EQ(missing.body, kMissingBody);
    auto empty = get(port, "/metrics", {{"X-Metrics-Secret", ""}});
    EXPECT_EQ(empty.status, 401);
    EXPECT_EQ(empty.body, kMissingBody);
    auto wrong = get(port, "/metrics", {{"X-Metrics-Secret", "wrong-guess-value"}});
    EXPECT_EQ(wrong.status, 401);
    EXPECT_EQ(wrong.body, kInvalidBody);
    // A prefix of the secret and the secret with a suffix are wrong too.
    EXPECT_EQ(get(port, "/metrics", {{"X-Metrics-Secret", "metrics-secret"}}).status, 401);
    EXPECT_EQ(get(port, "/metrics", {{"X-Metrics-Secret", std::string(kSecret) + "x"}}).status,
              401);

    const auto text = scrape(port, {{"X-Metrics-Secret", kSecret}});
    // Guard rejections are counted under the route template.
    EXPECT_EQ(sample(text, requests("GET", "/metrics", 401)), 5);
    EXPECT_FALSE(get(port, "/metrics", {{"X-Metrics-Secret", kSecret}}).has_header("etag"));

    // One warn line per rejection: component, reason, client IP; never a presented secret.
    const auto missing_line = guard_line(server, "missing");
    ASSERT_TRUE(missing_line) << server.output();
    EXPECT_EQ(json_string_at(*missing_line, {"level"}), "warn");
    EXPECT_EQ(json_string_at(*missing_line, {"clientIp"}), "::ffff:127.0.0.1");
    const auto invalid_line = guard_line(server, "invalid");
    ASSERT_TRUE(invalid_line) << server.output();
    EXPECT_EQ(json_string_at(*invalid_line, {"clientIp"}), "::ffff:127.0.0.1");
    // I/O threads flush their log buffers every 50 ms: wait for all five lines to be written.
    std::size_t guard_lines = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
    do {
        guard_lines = 0;
        for (const auto& line : server.json_lines()) {
            if (json_string_at(line, {"component"}) == "metrics_guard") ++guard_lines;
        }
        if (guard_lines >= 5u) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    } while (std::chrono::steady_clock::now() < deadline);
    EXPECT_EQ(guard_lines, 5u);
    EXPECT_THAT(server.output(), Not(HasSubstr(kSecret)));
    EXPECT_THAT(server.output(), Not(HasSubstr("wrong-guess-value")));
}

TEST(Metrics, SecretHeaderIsComparedAfterHeaderWhitespaceTrimming) {
    ServerProcess server(secret_env());
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    Connection connection("127.0.0.1", server.port());
    connection.send(
        std::string("GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Metrics-Secret: \t ") + kSecret +
        " \t\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(connection.read_response().status, 200);
}

void expect_cidr_guard(const std::string& trust_proxy) {
    ServerProcess server(cidr_env("203.0.113.0/24", trust_proxy));
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto port = server.port();

    const auto direct = get(port, "/metrics");
    EXPECT_EQ(direct.status, 403);
    EXPECT_EQ(direct.body, kForbiddenBody);
    const auto outside = get(port, "/metrics", {{"X-Forwarded-For", "198.51.100.1"}});
    EXPECT_EQ(outside.status, 403);
    EXPECT_EQ(get(port, "/metrics", {{"X-Forwarded-For", "not-an-ip"}}).status, 403);

    const auto text = scrape(port, {{"X-Forwarded-For", "203.0.113.7"}});
    EXPECT_EQ(sample(text, requests("GET", "/metrics", 403)), 3);

    const auto line = server.wait_for_line([](const boost::json::value& v) {
        return json_string_at(v, {"component"}) == "metrics_guard" &&
               json_string_at(v, {"clientIp"}) == "::ffff:127.0.0.1";
    });
    ASSERT_TRUE(line) << server.output();
    EXPECT_EQ(json_string_at(*line, {"reason"}), "forbidden_ip");
    EXPECT_EQ(json_string_at(*line, {"level"}), "warn");
    EXPECT_TRUE(server.wait_for_line([](const boost::json::value& v) {
        return json_string_at(v, {"component"}) == "metrics_guard" &&
               json_string_at(v, {"clientIp"}) == "198.51.100.1";
    }));
}

TEST(Metrics, CidrGuardWithLoopbackProxy) {
    expect_cidr_guard("loopback");
}

TEST(Metrics, CidrGuardWithOneHop) {
    expect_cidr_guard("1");
}

TEST(Metrics, CidrGuardMatchesIpv6RangesAndMappedIpv4Clients) {
    ServerProcess server(cidr_env("2001:db8::/32, 203.0.113.0/24", "loopback"));
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto port = server.port();
    EXPECT_EQ(get(port, "/metrics", {{"X-Forwarded-For", "2001:db8::1"}}).status, 200);
    EXPECT_EQ(get(port, "/metrics", {{"X-Forwarded-For", "2001:db9::1"}}).status, 403);
    // An IPv4-mapped IPv6 client matches the IPv4 range (decisions B.2).
    EXPECT_EQ(get(port, "/metrics", {{"X-Forwarded-For", "::ffff:203.0.113.9"}}).status, 200);
}

TEST(Metrics, CidrGuardMapsIpv4MappedRangesAndKeepsFamiliesApart) {
    {
        // `::ffff:127.0.0.0/104` is 127.0.0.0/8: the direct client ::ffff:127.0.0.1 is inside.
        ServerProcess server(cidr_env("::ffff:127.0.0.0/104", "false"));
        ASSERT_TRUE(server.wait_healthy()) << server.output();
        EXPECT_EQ(get(server.port(), "/metrics").status, 200);
    }
    {
        // An IPv6 range never admits an IPv4 client, not even ::/0 (contract 9.3: same family).
        ServerProcess server(cidr_env("::/0", "false"));
        ASSERT_TRUE(server.wait_healthy()) << server.output();
        EXPECT_EQ(get(server.port(), "/metrics").status, 403);
    }
}

TEST(Metrics, ProductionWithSecretGuard) {
    auto env = secret_env(production_env());
    env["METRICS_ENABLED"] = "true";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    EXPECT_EQ(get(server.port(), "/metrics").body, kMissingBody);
    EXPECT_EQ(get(server.port(), "/metrics", {{"X-Metrics-Secret", "nope"}}).body, kInvalidBody);
    scrape(server.port(), {{"X-Metrics-Secret", kSecret}});
}

TEST(Metrics, ProductionWithCidrGuardCountsCorsRejections) {
    auto env = cidr_env("127.0.0.0/8", "false", production_env());
    env["METRICS_ENABLED"] = "true";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto denied = get(server.port(), "/health", {{"Origin", "https://evil.example"}});
    EXPECT_EQ(denied.status, 403);
    const auto text = scrape(server.port());
    // A CORS rejection is counted (decisions B.11) under the template the path would match.
    EXPECT_EQ(sample(text, requests("GET", "/health", 403)), 1);
}

TEST(Metrics, ProductionWithoutEnabledIsTheJson404) {
    auto env = secret_env(production_env());
    env["METRICS_ENABLED"] = "false";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    for (const auto& headers : std::vector<std::vector<std::pair<std::string, std::string>>>{
             {}, {{"X-Metrics-Secret", kSecret}}}) {
        const auto r = get(server.port(), "/metrics", headers);
        EXPECT_EQ(r.status, 404);
        EXPECT_EQ(r.body, R"({"error":{"message":"Not Found","code":"NOT_FOUND"}})");
    }
}

TEST(Metrics, RouteLabelIsTheTemplateOrUnmatched) {
    ServerProcess server(base_env());
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto port = server.port();
    const auto before = scrape(port);
    const double health_before = sample(before, requests("GET", "/health", 200)).value_or(0);

    EXPECT_EQ(get(port, "/HEALTH").status, 200);
    EXPECT_EQ(get(port, "/health/").status, 200);
    // Body-parser failures are counted (B.4): under the template when the path is a route...
    EXPECT_EQ(fetch(port, Request{"GET",
                                  "/health",
                                  {{"Content-Type", "application/json"}},
                                  std::string("{not json")})
                  .status,
              400);
    // ...and POST /auth/login is `unmatched` until the auth routes exist, then `/auth/login`.
    EXPECT_EQ(post_json(port, "/auth/login", "{not json").status, 400);
    EXPECT_EQ(get(port, "/nope").status, 404);
    EXPECT_EQ(get(port, "/health", {{"X-Request-Id", "a"}}).status, 200);
    EXPECT_EQ(fetch(port, Request{"OPTIONS", "/health", {}, std::nullopt}).status, 204);
    EXPECT_EQ(fetch(port, Request{"POST", "/health", {}, std::string()}).status, 404);

    const auto text = scrape(port);
    EXPECT_EQ(sample(text, requests("GET", "/health", 200)), health_before + 3);
    EXPECT_EQ(sample(text, requests("GET", "/health", 400)), 1);
    const double login_400 = sample(text, requests("POST", "unmatched", 400)).value_or(0) +
                             sample(text, requests("POST", "/auth/login", 400)).value_or(0);
    EXPECT_EQ(login_400, 1);
    EXPECT_EQ(sample(text, requests("GET", "unmatched", 404)), 1);
    EXPECT_EQ(sample(text, requests("OPTIONS", "unmatched", 204)), 1);
    EXPECT_EQ(sample(text, requests("POST", "unmatched", 404)), 1);
    EXPECT_EQ(sample(text, requests("GET", "/metrics", 200)), 1);  // the first scrape
    EXPECT_THAT(text, Not(HasSubstr("route=\"/HEALTH\"")));
    EXPECT_THAT(text, Not(HasSubstr("route=\"/nope\"")));
    EXPECT_TRUE(sample(text,
                       "http_request_duration_seconds_count{method=\"GET\",route=\"/"
                       "health\",status_code=\"400\"}"));
}

TEST(Metrics, ThousandUnknownPathsAddOneSeries) {
    ServerProcess server(base_env());
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto port = server.port();
    scrape(port);
    const auto before = scrape(port);  // now includes the /metrics series itself

    Connection connection("127.0.0.1", port);
    for (int i = 0; i < 1000; ++i) {
        connection.send("GET /unknown-" + std::to_string(i) +
                        " HTTP/1.1\r\nHost: localhost\r\n\r\n");
        ASSERT_EQ(connection.read_response().status, 404);
    }
    connection.close();

    const auto after = scrape(port);
    EXPECT_EQ(count_lines_starting(after, "http_requests_total{"),
              count_lines_starting(before, "http_requests_total{") + 1);
    EXPECT_EQ(count_lines_starting(after, "http_request_duration_seconds_count{"),
              count_lines_starting(before, "http_request_duration_seconds_count{") + 1);
    EXPECT_EQ(sample(after, requests("GET", "unmatched", 404)), 1000);
    EXPECT_THAT(after, Not(HasSubstr("/unknown-")));
}

TEST(Metrics, UnknownMethodsShareOneLabel) {
    ServerProcess server(base_env());
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    for (const std::string method : {"BREW", "WHEN"}) {
        fetch(server.port(), Request{method, "/health", {}, std::nullopt});
    }
    const auto text = scrape(server.port());
    EXPECT_EQ(sample(text, requests("OTHER", "unmatched", 404)), 2);
    EXPECT_THAT(text, Not(HasSubstr("method=\"BREW\"")));
    EXPECT_THAT(text, Not(HasSubstr("method=\"WHEN\"")));
}

TEST(Metrics, RecordingCanBeSwitchedOff) {
    auto env = base_env();
    env["METRICS_RECORDING"] = "false";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    get(server.port(), "/health");
    const auto text = scrape(server.port());
    EXPECT_THAT(text, HasSubstr("# TYPE http_requests_total counter\n"));
    EXPECT_EQ(count_lines_starting(text, "http_requests_total{"), 0u);
    EXPECT_THAT(text, HasSubstr("\nprocess_resident_memory_bytes "));
}

// A server whose pools add up to a known size, for exposition_after_traffic().
constexpr int kIoThreads = 2;
constexpr int kPoolSize = 3;
Env sampled_env() {
    auto env = base_env();
    env["IO_THREADS"] = std::to_string(kIoThreads);
    env["DATABASE_POOL_SIZE"] = std::to_string(kPoolSize);
    return env;
}

// Some traffic of every kind, then the live exposition of a sampled_env() server once every I/O
// thread's sampler has published its lag and pool gauges.
std::string exposition_after_traffic(const ServerProcess& server) {
    const auto port = server.port();
    get(port, "/health");
    get(port, "/ready");
    get(port, "/version");
    get(port, "/nope");
    post_json(port, "/auth/login", "{not json");
    fetch(port, Request{"OPTIONS", "/health", {}, std::nullopt});
    get(port, "/metrics");
    // The pool size gauge sums the threads' samples: it reaches threads × size when all have run.
    const auto published = poll_until(
        port, "/metrics",
        [&](const HttpResponse& r) {
            return sample(r.body, "portcullis_db_pool_max_connections") ==
                   static_cast<double>(kIoThreads * kPoolSize);
        },
        std::chrono::seconds(10));
    EXPECT_TRUE(published) << get(port, "/metrics").body;
    return scrape(port);
}

TEST(Metrics, PromtoolAcceptsTheLiveExposition) {
    ASSERT_EQ(std::system("command -v promtool >/dev/null 2>&1"), 0)
        << "promtool is not installed: scripts/install-deps.sh installs it (Debian package "
           "prometheus)";
    ServerProcess server(sampled_env());
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto text = exposition_after_traffic(server);
    const auto [status, output] = run_with_input("promtool check metrics", text);
    EXPECT_EQ(status, 0) << output << "\n--- exposition ---\n" << text;
    EXPECT_EQ(output, "") << "promtool lint findings:\n" << output;
}

// Metric names of a PromQL expression: identifiers that are not functions (followed by `(`),
// keywords, label matchers (`{...}`), ranges (`[...]`), grouping lists (`by (...)`), strings,
// numbers or Grafana variables (`$__rate_interval`).
std::set<std::string> promql_metric_names(const std::string& expr) {
    // Aggregation operators may be followed by `by (...)` before their parenthesis.
    static const std::set<std::string> kKeywords = {
        "bool",  "and",          "or",   "unless",  "offset",  "inf",    "nan",
        "sum",   "min",          "max",  "avg",     "group",   "stddev", "stdvar",
        "count", "count_values", "topk", "bottomk", "quantile"};
    std::set<std::string> names;
    auto ident_char = [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == ':';
    };
    bool grouping_next = false;
    for (std::size_t i = 0; i < expr.size();) {
        const char c = expr[i];
        if (c == '"' || c == '\'') {
            const auto end = expr.find(c, i + 1);
            i = end == std::string::npos ? expr.size() : end + 1;
        } else if (c == '{' || c == '[' || (c == '(' && grouping_next)) {
            const char close = c == '{' ? '}' : c == '[' ? ']' : ')';
            const auto end = expr.find(close, i + 1);
            i = end == std::string::npos ? expr.size() : end + 1;
            grouping_next = false;
        } else if (c == '$') {
            ++i;
            while (i < expr.size() && ident_char(expr[i])) ++i;
        } else if (std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.') {
            while (i < expr.size() && (ident_char(expr[i]) || expr[i] == '.')) ++i;
        } else if (ident_char(c)) {
            const auto start = i;
            while (i < expr.size() && ident_char(expr[i])) ++i;
            const std::string word = expr.substr(start, i - start);
            auto next = i;
            while (next < expr.size() && expr[next] == ' ') ++next;
            const bool call = next < expr.size() && expr[next] == '(';
            const bool grouping = word == "by" || word == "without" || word == "on" ||
                                  word == "ignoring" || word == "group_left" ||
                                  word == "group_right";
            if (grouping) {
                grouping_next = true;
            } else if (!call && kKeywords.count(word) == 0) {
                names.insert(word);
            }
        } else {
            ++i;
        }
    }
    return names;
}

void collect_exprs(const boost::json::value& v, std::vector<std::string>& out) {
    if (v.is_object()) {
        for (const auto& [key, child] : v.as_object()) {
            if (key == "expr" && child.is_string()) out.emplace_back(child.as_string());
            collect_exprs(child, out);
        }
    } else if (v.is_array()) {
        for (const auto& child : v.as_array()) collect_exprs(child, out);
    }
}

TEST(Metrics, PromqlTokenizerFindsMetricNames) {
    EXPECT_EQ(promql_metric_names(
                  "histogram_quantile(0.95, sum by (le, route) "
                  "(rate(http_request_duration_seconds_bucket{route!=\"unmatched\"}[5m])))"),
              std::set<std::string>{"http_request_duration_seconds_bucket"});
    EXPECT_EQ(promql_metric_names("sum(rate(a_total{x=\"y\"}[$__rate_interval])) / "
                                  "clamp_min(sum(b_total) without (instance), 1) > bool 0.5"),
              (std::set<std::string>{"a_total", "b_total"}));
}

TEST(Metrics, EveryDashboardMetricIsInTheLiveExposition) {
    const auto path = std::filesystem::path(PORTCULLIS_SOURCE_DIR) /
                      "docs/ops/observability/grafana-dashboard.json";
    std::ifstream file(path);
    ASSERT_TRUE(file) << path;
    const std::string json((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
    boost::system::error_code ec;
    const auto dashboard = boost::json::parse(json, ec);
    ASSERT_FALSE(ec) << "grafana-dashboard.json does not parse: " << ec.message();

    std::vector<std::string> exprs;
    collect_exprs(dashboard, exprs);
    std::set<std::string> names;
    for (const auto& expr : exprs) names.merge(promql_metric_names(expr));
    ASSERT_GE(exprs.size(), 10u);
    for (const char* expected : {"http_requests_total", "http_request_duration_seconds_bucket",
                                 "process_cpu_seconds_total", "process_resident_memory_bytes",
                                 "portcullis_event_loop_lag_seconds", "portcullis_logins_total"}) {
        EXPECT_EQ(names.count(expected), 1u) << expected;
    }

    ServerProcess server(sampled_env());
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto text = exposition_after_traffic(server);
    for (const auto& name : names) {
        const bool present =
            count_lines_starting(text, name + "{") + count_lines_starting(text, name + " ") > 0;
        EXPECT_TRUE(present) << name << " is queried by the dashboard but not exported";
    }
}

}  // namespace
}  // namespace portcullis::test
