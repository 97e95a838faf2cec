// Rate limiting against the real binary (contract section 6, decisions A.4, B.5, B.6): each
// limiter trips at its computed max with the RateLimit-* headers and the JSON 429, on the memory
// store and on a real Redis; replicas sharing Redis share one limit; a Redis outage follows
// RATE_LIMIT_REDIS_FAILURE_MODE without hanging, and everything heals when Redis returns.
// The tests that look at Redis counters use /version: the probes (/health, /ready) are counted by
// each replica's memory store, so that they never wait on Redis (decisions E.6).
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "http_client.hpp"
#include "private_redis.hpp"
#include "server_process.hpp"

namespace portcullis::test {
namespace {
using namespace std::chrono_literals;

constexpr const char* kRateLimited =
    R"({"error":{"message":"Too many requests, please try again later.","code":"RATE_LIMITED"}})";

// Generous limits everywhere except the ones a test sets.
Env limiter_env(const Env& overrides) {
    Env env = base_env();
    env["RATE_LIMIT_WINDOW_SEC"] = "60";
    for (const auto& [k, v] : overrides) env[k] = v;
    return env;
}

void expect_headers(const HttpResponse& r, const std::string& limit, const std::string& remaining,
                    const std::string& policy_window = "60") {
    EXPECT_EQ(r.header("ratelimit-limit"), limit);
    EXPECT_EQ(r.header("ratelimit-remaining"), remaining);
    EXPECT_EQ(r.header("ratelimit-policy"), limit + ";w=" + policy_window);
    ASSERT_TRUE(r.header("ratelimit-reset"));
    const int reset = std::stoi(*r.header("ratelimit-reset"));
    EXPECT_GE(reset, 1);
    EXPECT_LE(reset, 60);
    EXPECT_FALSE(r.has_header("x-ratelimit-limit"));
}

void expect_rejected(const HttpResponse& r, const std::string& limit) {
    EXPECT_EQ(r.status, 429) << r.body;
    EXPECT_EQ(r.body, kRateLimited);
    EXPECT_EQ(r.header("content-type"), "application/json; charset=utf-8");
    expect_headers(r, limit, "0");
    EXPECT_EQ(r.header("retry-after"), r.header("ratelimit-reset"));
    EXPECT_TRUE(r.has_header("x-request-id"));
    EXPECT_TRUE(r.has_header("x-content-type-options"));
}

// Each store runs the same limiter tests: memory (no URL), Redis (a private server).
class Limiters : public ::testing::TestWithParam<bool> {
protected:
    void start(Env overrides) {
        if (GetParam()) {
            redis_ = std::make_unique<PrivateRedis>();
            overrides["RATE_LIMIT_REDIS_URL"] = redis_->url();
        }
        server_ = std::make_unique<ServerProcess>(limiter_env(overrides));
        ASSERT_TRUE(server_->wait_healthy()) << server_->output();
        if (redis_) {
            // Every I/O thread's Redis connection is up: until then a thread limits locally
            // (/health does not wait on Redis).
            ASSERT_TRUE(server_->wait_for_line(
                [](const boost::json::value& line) {
                    return json_string_at(line, {"msg"}) == "Rate limit store connected";
                },
                10s))
                << server_->output();
            redis_->cli("FLUSHALL");  // forget wait_healthy's probes
        }
    }
    std::uint16_t port() const { return server_->port(); }

    // Requests from one client address of their own (the default TRUST_PROXY trusts loopback),
    // so the start-up health probes do not count.
    static constexpr const char* kClient = "198.51.100.77";
    HttpResponse g(const std::string& path) const {
        return get(port(), path, {{"X-Forwarded-For", kClient}});
    }
    HttpResponse p(const std::string& path, const std::string& body) const {
        return post_json(port(), path, body, {{"X-Forwarded-For", kClient}});
    }

    void TearDown() override {
        if (!redis_) return;
        // Every key written has a TTL (contract 6.5: windows expire by themselves).
        for (const auto& [key, ttl] : redis_->ttls()) EXPECT_GE(ttl, 0) << key;
    }

    std::unique_ptr<PrivateRedis> redis_;
    std::unique_ptr<ServerProcess> server_;
};

TEST_P(Limiters, GlobalLimiterTripsAtItsComputedMax) {
    start({{"RATE_LIMIT_RPM", "2"}});  // max(1, ceil(2 * 60 / 60)) = 2
    const auto first = g("/version");
    EXPECT_EQ(first.status, 200);
    expect_headers(first, "2", "1");
    const auto second = g("/version");
    EXPECT_EQ(second.status, 200);
    expect_headers(second, "2", "0");
    expect_rejected(g("/version"), "2");
    expect_rejected(g("/version"), "2");  // blocked requests keep counting
    if (redis_) {
        const auto count = redis_->cli("GET rate-limit:global:198.51.100.77");
        ASSERT_EQ(count.size(), 1u);
        EXPECT_EQ(count[0], "4");
    }
}

TEST_P(Limiters, ConcurrentHitsAreCountedExactly) {
    // Concurrent hits on one key are batched into one Redis call per round trip; each must still
    // get the count it would have had alone.
    start({{"RATE_LIMIT_RPM", "20"}});
    std::vector<std::thread> clients;
    std::atomic<int> allowed{0};
    std::atomic<int> rejected{0};
    std::mutex remaining_mutex;
    std::set<std::string> remaining_seen;
    for (int c = 0; c < 10; ++c) {
        clients.emplace_back([&] {
            for (int i = 0; i < 5; ++i) {
                const auto r = g("/version");
                if (r.status == 200) {
                    ++allowed;
                    std::lock_guard lock(remaining_mutex);
                    remaining_seen.insert(r.header("ratelimit-remaining").value_or("?"));
                } else if (r.status == 429) {
                    ++rejected;
                }
            }
        });
    }
    for (auto& t : clients) t.join();
    EXPECT_EQ(allowed.load(), 20);
    EXPECT_EQ(rejected.load(), 30);
    EXPECT_EQ(remaining_seen.size(), 20u);  // 19 down to 0, each once
    if (redis_) {
        EXPECT_EQ(redis_->cli("GET rate-limit:global:198.51.100.77"),
                  std::vector<std::string>{"50"});
    }
}

TEST_P(Limiters, AuthLimiterCoversTheMountAndShowsItsHeaders) {
    start({{"RATE_LIMIT_RPM_AUTH", "2"}});
    const auto login = p("/auth/login", "{}");
    EXPECT_EQ(login.status, 400);
    expect_headers(login, "2", "1");
    const auto unknown = g("/AUTH/nothing-here");  // 404s under /auth count too
    EXPECT_EQ(unknown.status, 404);
    expect_headers(unknown, "2", "0");
    expect_rejected(p("/auth/refresh", "{}"), "2");
    // Outside the mount only the global limiter applies.
    const auto health = g("/version");
    EXPECT_EQ(health.status, 200);
    EXPECT_EQ(health.header("ratelimit-limit"), "1000000");
    EXPECT_EQ(g("/authority").header("ratelimit-limit"), "1000000");
}

TEST_P(Limiters, RegisterLimiterCountsBeforeValidation) {
    start({{"RATE_LIMIT_RPM_AUTH_REGISTER", "2"}});
    for (const char* remaining : {"1", "0"}) {
        const auto r = p("/auth/register", R"({"email":"x"})");
        EXPECT_EQ(r.status, 400) << r.body;
        expect_headers(r, "2", remaining);  // the innermost limiter's headers
    }
    expect_rejected(p("/auth/Register/", R"({"email":"x"})"), "2");
    // Another route under /auth shows the auth limiter instead.
    EXPECT_EQ(p("/auth/login", "{}").header("ratelimit-limit"), "1000000");
}

TEST_P(Limiters, PasswordResetAndResendVerificationLimiters) {
    start({{"RATE_LIMIT_RPM_AUTH_PASSWORD_RESET", "1"}});
    const auto first = p("/auth/request-password-reset", R"({"email":"bad"})");
    EXPECT_EQ(first.status, 400);  // counted before validation
    expect_headers(first, "1", "0");
    expect_rejected(p("/auth/request-password-reset", "{}"), "1");
    // Resend-verification has its own window at the same rate (decisions C.1).
    const auto resend = p("/auth/resend-verification", R"({"email":"bad"})");
    EXPECT_EQ(resend.status, 400);
    expect_headers(resend, "1", "0");
    expect_rejected(p("/auth/resend-verification", "{}"), "1");
}

TEST_P(Limiters, BodyParserFailuresAreNotCounted) {
    // Contract 1: parser errors answer before the limiters; decisions B.4 adds request id,
    // security headers, CORS and metrics to them, not rate limiting.
    start({{"RATE_LIMIT_RPM", "1"}});
    for (int i = 0; i < 3; ++i) {
        const auto bad = p("/auth/login", "{not json");
        EXPECT_EQ(bad.status, 400) << bad.body;
        EXPECT_FALSE(bad.has_header("ratelimit-limit"));
        EXPECT_TRUE(bad.has_header("x-request-id"));
    }
    EXPECT_EQ(g("/version").status, 200);
    EXPECT_EQ(g("/version").status, 429);
}

TEST_P(Limiters, ClientsAreKeyedByAddressThroughTrustedProxies) {
    start({{"RATE_LIMIT_RPM", "1"}, {"TRUST_PROXY", "1"}});
    const auto as = [&](const std::string& address) {
        return get(port(), "/version", {{"X-Forwarded-For", address}});
    };
    EXPECT_EQ(as("203.0.113.5").status, 200);
    expect_rejected(as("203.0.113.5"), "1");
    EXPECT_EQ(as("::ffff:203.0.113.5").status, 429);  // the mapped form is the same client
    EXPECT_EQ(as("203.0.113.6").status, 200);
    EXPECT_EQ(as("2001:db8:1234:5678::1").status, 200);
    EXPECT_EQ(as("2001:db8:1234:56ff::2").status, 429);  // same /56
    EXPECT_EQ(as("2001:db8:1234:5700::1").status, 200);
    if (redis_) {
        EXPECT_EQ(redis_->cli("EXISTS rate-limit:global:2001:db8:1234:5600::/56"),
                  std::vector<std::string>{"1"});
        EXPECT_EQ(redis_->cli("EXISTS rate-limit:global:203.0.113.5"),
                  std::vector<std::string>{"1"});
    }
}

TEST_P(Limiters, OptionsAndCorsRejectionsAreNotCounted) {
    start({{"RATE_LIMIT_RPM", "1"}, {"CORS_ORIGINS", "https://app.example"}});
    for (int i = 0; i < 3; ++i) {
        const auto preflight = fetch(
            port(), {.method = "OPTIONS",
                     .path = "/auth/login",
                     .headers = {{"Origin", "https://app.example"}, {"X-Forwarded-For", kClient}},
                     .body = std::nullopt});
        EXPECT_EQ(preflight.status, 204);
        EXPECT_FALSE(preflight.has_header("ratelimit-limit"));
        EXPECT_EQ(fetch(port(), {.path = "/version",
                                 .headers = {{"Origin", "https://evil.example"},
                                             {"X-Forwarded-For", kClient}},
                                 .body = std::nullopt})
                      .status,
                  403);
    }
    EXPECT_EQ(g("/version").status, 200);
    EXPECT_EQ(g("/version").status, 429);
}

INSTANTIATE_TEST_SUITE_P(Stores, Limiters, ::testing::Values(false, true),
                         [](const auto& i) { return i.param ? "Redis" : "Memory"; });

TEST(RedisLimiters, ReplicasSharingRedisEnforceOneLimit) {
    PrivateRedis redis;
    const Env env = limiter_env({{"RATE_LIMIT_RPM", "3"}, {"RATE_LIMIT_REDIS_URL", redis.url()}});
    ServerProcess a(env);
    ServerProcess b(env);
    ASSERT_TRUE(a.wait_healthy()) << a.output();
    ASSERT_TRUE(b.wait_healthy()) << b.output();
    // Every I/O thread's Redis connection is up (until then a thread limits locally, which the
    // count below would miss); probes cannot tell, they count against the limit of 3 themselves.
    const auto connected = [](const boost::json::value& line) {
        return json_string_at(line, {"msg"}) == "Rate limit store connected";
    };
    ASSERT_TRUE(a.wait_for_line(connected, 10s)) << a.output();
    ASSERT_TRUE(b.wait_for_line(connected, 10s)) << b.output();
    redis.cli("FLUSHALL");
    EXPECT_EQ(get(a.port(), "/version").status, 200);
    EXPECT_EQ(get(b.port(), "/version").status, 200);
    const auto third = get(a.port(), "/version");
    EXPECT_EQ(third.status, 200);
    expect_headers(third, "3", "0");
    expect_rejected(get(b.port(), "/version"), "3");
    expect_rejected(get(a.port(), "/version"), "3");
}

TEST(RedisLimiters, NodeEnvTestKeepsTheMemoryStore) {
    PrivateRedis redis;
    ServerProcess server(limiter_env({{"APP_ENV", "test"}, {"RATE_LIMIT_REDIS_URL", redis.url()}}));
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    EXPECT_EQ(get(server.port(), "/health").header("ratelimit-limit"), "1000000");
    EXPECT_TRUE(redis.cli("--scan").empty());
    EXPECT_EQ(get(server.port(), "/ready").status, 200);
}

// Polls `path` until `accept` holds, within 10 s.
std::optional<std::chrono::milliseconds> time_until(
    std::uint16_t port, const std::string& path,
    const std::function<bool(const HttpResponse&)>& accept) {
    return poll_until(port, path, accept, 10s);
}

// One request and how long it took.
std::pair<HttpResponse, std::chrono::milliseconds> timed_get(std::uint16_t port,
                                                             const std::string& path) {
    const auto start = std::chrono::steady_clock::now();
    auto r = get(port, path);
    return {std::move(r), std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - start)};
}

struct OutageCase {
    std::string mode;
    bool production;
};

class RedisOutage : public ::testing::TestWithParam<OutageCase> {};

TEST_P(RedisOutage, RequestsAnswerPerFailureModeAndRecover) {
    const auto& param = GetParam();
    PrivateRedis redis;
    Env env = limiter_env({{"RATE_LIMIT_RPM", "1000"},
                           {"RATE_LIMIT_RPM_AUTH", "3"},
                           {"RATE_LIMIT_REDIS_URL", redis.url()},
                           {"RATE_LIMIT_REDIS_FAILURE_MODE", param.mode},
                           {"RATE_LIMIT_REDIS_TIMEOUT_MS", "300"}});
    if (param.production) {
        env["APP_ENV"] = "production";
        env["CORS_ORIGINS"] = "https://app.example";
    }
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    ASSERT_TRUE(time_until(server.port(), "/ready", [](const HttpResponse& r) {
        return r.status == 200;
    })) << server.output();

    redis.stop();
    const auto not_ready = time_until(server.port(), "/ready", [](const HttpResponse& r) {
        return r.status == 503 &&
               r.body == R"({"error":{"message":"Redis not ready","code":"REDIS_NOT_READY"}})";
    });
    ASSERT_TRUE(not_ready) << server.output();
    EXPECT_LT(*not_ready, 1500ms);
    EXPECT_EQ(get(server.port(), "/health").status, 200);  // liveness never depends on Redis

    for (int i = 0; i < 5; ++i) {
        const auto [r, took] = timed_get(server.port(), "/auth/nothing");
        EXPECT_LT(took, 1000ms) << "request " << i << " hung";
        if (param.mode == "closed") {
            EXPECT_EQ(r.status, 503);
            EXPECT_NE(r.body.find(R"("code":"RATE_LIMIT_UNAVAILABLE")"), std::string::npos)
                << r.body;
        } else if (param.mode == "open") {
            EXPECT_EQ(r.status, 404);
            EXPECT_FALSE(r.has_header("ratelimit-limit"));
        } else {
            // Per-process memory limits: the auth limit of 3 still holds.
            EXPECT_EQ(r.status, i < 3 ? 404 : 429) << i;
            EXPECT_EQ(r.header("ratelimit-limit"), "3");
        }
    }
    ASSERT_TRUE(server.wait_for_line([](const auto& line) {
        return json_string_at(line, {"msg"}) == "Rate limit store unavailable";
    }));

    redis.start();
    const auto ready =
        time_until(server.port(), "/ready", [](const HttpResponse& r) { return r.status == 200; });
    ASSERT_TRUE(ready) << server.output();
    EXPECT_LT(*ready, 2000ms);
    const auto back = get(server.port(), "/auth/nothing");
    EXPECT_EQ(back.status, 404);
    EXPECT_EQ(back.header("ratelimit-remaining"), "2");  // counted in the fresh Redis again
    EXPECT_EQ(redis.cli("EXISTS rate-limit:auth:127.0.0.1"), std::vector<std::string>{"1"});
    const auto metrics = get(server.port(), "/metrics");
    if (!param.production) {
        EXPECT_NE(metrics.body.find("portcullis_redis_up 1"), std::string::npos);
        EXPECT_NE(metrics.body.find(R"(portcullis_redis_transitions_total{state="down"} 1)"),
                  std::string::npos)
            << metrics.body;
    }
    // One line each way, however many threads noticed (decisions A.4). After a graceful stop every
    // I/O thread has flushed its log buffer, so the counts are final.
    server.signal(SIGTERM);
    ASSERT_EQ(server.wait_exit(15s), 0) << server.output();
    int down_lines = 0;
    int up_lines = 0;
    for (const auto& line : server.json_lines()) {
        down_lines += json_string_at(line, {"msg"}) == "Rate limit store unavailable";
        up_lines += json_string_at(line, {"msg"}) == "Rate limit store connected";
    }
    EXPECT_EQ(down_lines, 1) << server.output();
    EXPECT_EQ(up_lines, 2) << "at start and after the outage\n" << server.output();
}

INSTANTIATE_TEST_SUITE_P(Modes, RedisOutage,
                         ::testing::Values(OutageCase{"local", false}, OutageCase{"open", false},
                                           OutageCase{"closed", true}),
                         [](const auto& i) { return i.param.mode; });

TEST(RedisLimiters, AFrozenRedisCostsOneDeadlineNotAHang) {
    PrivateRedis redis;
    ServerProcess server(limiter_env({{"RATE_LIMIT_REDIS_URL", redis.url()},
                                      {"RATE_LIMIT_REDIS_TIMEOUT_MS", "300"},
                                      {"RATE_LIMIT_RPM_AUTH", "3"}}));
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    ASSERT_TRUE(
        time_until(server.port(), "/ready", [](const HttpResponse& r) { return r.status == 200; }));
    redis.pause();
    for (int i = 0; i < 5; ++i) {
        const auto [r, took] = timed_get(server.port(), "/auth/x");
        EXPECT_LT(took, 1000ms) << "request " << i;
        EXPECT_EQ(r.status, i < 3 ? 404 : 429) << i;  // `local` mode: this process counts
    }
    const auto not_ready =
        time_until(server.port(), "/ready", [](const HttpResponse& r) { return r.status == 503; });
    ASSERT_TRUE(not_ready);
    EXPECT_LT(*not_ready, 2000ms);
    redis.resume();
    const auto ready =
        time_until(server.port(), "/ready", [](const HttpResponse& r) { return r.status == 200; });
    ASSERT_TRUE(ready) << server.output();
    EXPECT_LT(*ready, 2000ms);
}

TEST(RedisLimiters, UnreachableRedisAtStartIsNotFatal) {
    PrivateRedis redis;
    redis.stop();
    ServerProcess server(limiter_env({{"RATE_LIMIT_REDIS_URL", redis.url()}}));
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    EXPECT_EQ(get(server.port(), "/ready").status, 503);
    redis.start();
    const auto ready =
        time_until(server.port(), "/ready", [](const HttpResponse& r) { return r.status == 200; });
    ASSERT_TRUE(ready) << server.output();
    EXPECT_LT(*ready, 2000ms);
    EXPECT_EQ(server.output().find("private-redis-password"), std::string::npos)
        << "the Redis password leaked into the log";
    EXPECT_NE(server.output().find("Unable to connect to rate limit store at redis://:***@"),
              std::string::npos)
        << server.output();
}

TEST(RedisLimiters, UnusableRedisUrlIsAConfigurationError) {
    auto env = base_env();
    env["RATE_LIMIT_REDIS_URL"] = "rediss://:secret-pass@127.0.0.1:6380/0";
    const auto result = run_binary(env, {"serve"});
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_NE(result.output.find("Invalid configuration"), std::string::npos) << result.output;
    EXPECT_NE(result.output.find("RATE_LIMIT_REDIS_URL"), std::string::npos);
    EXPECT_EQ(result.output.find("secret-pass"), std::string::npos);
}

}  // namespace
}  // namespace portcullis::test
