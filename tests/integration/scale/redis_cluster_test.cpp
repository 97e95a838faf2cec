// RATE_LIMIT_REDIS_URL pointing at a Redis Cluster (issue #17, point 5): three masters and three
// replicas of Debian's redis-server. Limits and lockout are exact across two replicas of the
// service with their keys spread over the masters, `login-attempts clear` finds the keys, and a
// master failover (manual, then a killed master) under load is survived as the configured
// failure mode says: `local` loses no request; `closed` answers 503 RATE_LIMIT_UNAVAILABLE only
// for the keys of the failed master and only until a replica took over.
#include <gtest/gtest.h>

#include <boost/json/value.hpp>

#include <algorithm>
#include <functional>
#include <memory>
#include <set>
#include <stdexcept>
#include <thread>

#include <unistd.h>

#include "http_client.hpp"
#include "load.hpp"
#include "redis_cluster.hpp"
#include "server_process.hpp"
#include "test_database.hpp"

namespace portcullis::test {
namespace {
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A migrated database of this test's own: the stack's default database is migrated only by the
// tests that start with --migrate, and this one may run before any of them on a fresh stack.
const std::string& migrated_database_url() {
    static const auto database = [] {
        auto created = std::make_unique<TestDatabase>();
        const auto migrated =
            run_command({{"DATABASE_URL", created->url()}}, {"migrate", "deploy"});
        if (migrated.exit_code != 0) {
            throw std::runtime_error("migrate deploy failed: " + migrated.out + migrated.err);
        }
        return created;
    }();
    return database->url();
}

Env cluster_env(const RedisCluster& cluster, const Env& overrides = {}) {
    auto env = base_env();
    env["DATABASE_URL"] = migrated_database_url();
    env["RATE_LIMIT_REDIS_URL"] = cluster.url();
    env["RATE_LIMIT_WINDOW_SEC"] = "60";
    env["TRUST_PROXY"] = "loopback";
    env["AUTH_ARGON2_MEMORY_KIB"] = "8192";
    env["AUTH_ARGON2_ITERATIONS"] = "1";
    for (const auto& [k, v] : overrides) env[k] = v;
    return env;
}

bool wait_ready(const ServerProcess& server, std::chrono::milliseconds limit = 15s) {
    return poll_until(
               server.port(), "/ready", [](const HttpResponse& r) { return r.status == 200; },
               limit)
        .has_value();
}

// Every I/O thread has the slot map and a connection to each master (without spending requests
// on /ready, which a small limit would count).
bool wait_store_connected(const ServerProcess& server) {
    return server
        .wait_for_line(
            [](const boost::json::value& v) {
                return json_string_at(v, {"msg"}) == "Rate limit store connected";
            },
            15s)
        .has_value();
}

HttpResponse version_as(std::uint16_t port, const std::string& client) {
    return get(port, "/version", {{"X-Forwarded-For", client}});
}

TEST(RedisClusterStore, LimitsAndLockoutAreExactAcrossReplicasAndNodes) {
    RedisCluster cluster;
    const auto env =
        cluster_env(cluster, {{"RATE_LIMIT_RPM", "5"}, {"AUTH_LOGIN_MAX_ATTEMPTS", "3"}});
    ServerProcess a(env);
    ServerProcess b(env);
    ASSERT_TRUE(a.wait_healthy()) << a.output();
    ASSERT_TRUE(b.wait_healthy()) << b.output();
    ASSERT_TRUE(wait_store_connected(a)) << a.output();
    ASSERT_TRUE(wait_store_connected(b)) << b.output();

    // 30 clients, 8 requests each alternating between the replicas: exactly 5 pass for each.
    std::set<std::uint16_t> nodes_used;
    for (int c = 0; c < 30; ++c) {
        const std::string client = "203.0.113." + std::to_string(c + 1);
        int passed = 0;
        for (int i = 0; i < 8; ++i) {
            const auto r = version_as(i % 2 == 0 ? a.port() : b.port(), client);
            ASSERT_TRUE(r.status == 200 || r.status == 429) << r.status << r.body;
            passed += r.status == 200 ? 1 : 0;
        }
        EXPECT_EQ(passed, 5) << client;
        const std::string key = "rate-limit:global:" + client;
        const auto owner = cluster.master_of(key);
        EXPECT_EQ(cluster.cli(owner, "GET " + key), std::vector<std::string>{"8"}) << key;
        nodes_used.insert(owner);
    }
    EXPECT_EQ(nodes_used.size(), 3u) << "the keys spread over every master";

    // Lockout: three failures, alternating replicas, lock the account on both (a second pair of
    // replicas, whose global limit the logins do not reach).
    const auto lock_env = cluster_env(cluster, {{"AUTH_LOGIN_MAX_ATTEMPTS", "3"}});
    ServerProcess c(lock_env);
    ServerProcess d(lock_env);
    ASSERT_TRUE(wait_store_connected(c)) << c.output();
    ASSERT_TRUE(wait_store_connected(d)) << d.output();
    // The stack's database outlives the test: a fresh address each run.
    const std::string email = "cluster-lock-" + std::to_string(::getpid()) + "-" +
                              std::to_string(Clock::now().time_since_epoch().count()) +
                              "@example.com";
    const std::string client = "198.51.100.9";
    const auto login = [&](std::uint16_t port, const std::string& password) {
        return post_json(port, "/auth/login",
                         R"({"email":")" + email + R"(","password":")" + password + "\"}",
                         {{"X-Forwarded-For", client}});
    };
    const auto locked = [](const HttpResponse& r) {
        return r.status == 429 && r.body.find("LOGIN_LOCKED") != std::string::npos;
    };
    const auto registered = post_json(
        c.port(), "/auth/register", R"({"email":")" + email + R"(","password":"Cluster-pass-123"})",
        {{"X-Forwarded-For", "198.51.100.200"}});
    ASSERT_EQ(registered.status, 201) << registered.body << c.output();
    EXPECT_EQ(login(c.port(), "Wrong-pass-12345").status, 401);
    EXPECT_EQ(login(d.port(), "Wrong-pass-12345").status, 401);
    EXPECT_EQ(login(c.port(), "Wrong-pass-12345").status, 401);
    EXPECT_TRUE(locked(login(d.port(), "Cluster-pass-123")));
    EXPECT_TRUE(locked(login(c.port(), "Cluster-pass-123")));
    const auto keys = cluster.keys();
    const std::string record = "login_attempt:{" + email + "}:" + client;
    EXPECT_NE(std::find(keys.begin(), keys.end(), record), keys.end()) << record;

    // The operator CLI finds the keys on the cluster and unlocks.
    Env cli_env{{"DATABASE_URL", lock_env.at("DATABASE_URL")},
                {"RATE_LIMIT_REDIS_URL", cluster.url()}};
    const auto cleared = run_command(cli_env, {"login-attempts", "clear", "--email", email});
    EXPECT_EQ(cleared.exit_code, 0) << cleared.out << cleared.err;
    const auto after = cluster.keys();
    EXPECT_EQ(
        std::count_if(after.begin(), after.end(),
                      [&](const std::string& k) { return k.rfind("login_attempt:", 0) == 0; }),
        0);
    EXPECT_EQ(login(d.port(), "Cluster-pass-123").status, 200);
}

// Runs a load through one replica while `fault` strikes the cluster; returns the load's result.
LoadResult load_during(const ServerProcess& server, const std::function<void()>& fault) {
    LoadRun load(
        server.port(), 120s,
        {"--connections", sanitizer_run() ? "4" : "8", "--mix", "health=1,read=4,refresh=2"});
    std::this_thread::sleep_for(sanitizer_run() ? 3s : 1500ms);
    fault();
    std::this_thread::sleep_for(1s);
    return load.stop();
}

TEST(RedisClusterStore, MasterFailoversUnderLoadLoseNoRequestInLocalMode) {
    RedisCluster cluster;
    ServerProcess server(cluster_env(cluster, {{"RATE_LIMIT_REDIS_FAILURE_MODE", "local"}}),
                         {"serve", "--migrate"});
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    ASSERT_TRUE(wait_ready(server)) << server.output();
    // The load's requests all come from one address: its key's master is the one to fail.
    const auto victim = cluster.master_of("rate-limit:global:127.0.0.1");

    // A manual failover (CLUSTER FAILOVER on its replica): slots move, MOVED is followed.
    std::uint16_t promoted = 0;
    const auto manual = load_during(server, [&] { promoted = cluster.failover(victim); });
    std::cout << "manual failover (local mode): " << manual.summary() << "\n";
    EXPECT_EQ(manual.failed, 0) << manual.summary();
    EXPECT_GT(manual.ok, 100) << manual.summary();
    ASSERT_TRUE(wait_ready(server)) << server.output();

    // The new master is killed: after the node timeout its replica (the old master) takes over.
    Clock::time_point killed;
    const auto hard = load_during(server, [&] {
        cluster.kill(promoted);
        killed = Clock::now();
        ASSERT_TRUE(cluster.wait_ok(30));
    });
    const auto healed = poll_until(
        server.port(), "/ready", [](const HttpResponse& r) { return r.status == 200; }, 15s);
    ASSERT_TRUE(healed) << server.output();
    std::cout
        << "killed master (local mode): " << hard.summary() << "; /ready green "
        << std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killed).count()
        << " ms after the kill\n";
    EXPECT_EQ(hard.failed, 0) << hard.summary();
    // Counting is back in the cluster, on the new master.
    const auto key = "rate-limit:global:127.0.0.1";
    const auto before = cluster.cli(cluster.master_of(key), std::string("GET ") + key);
    get(server.port(), "/version");
    const auto after = cluster.cli(cluster.master_of(key), std::string("GET ") + key);
    ASSERT_EQ(before.size(), 1u);
    ASSERT_EQ(after.size(), 1u);
    EXPECT_GT(std::stoll(after[0]), std::stoll(before[0]));
}

TEST(RedisClusterStore, AKilledMasterInClosedModeFailsOnlyItsKeysAndOnlyUntilTheTakeover) {
    RedisCluster cluster;
    ServerProcess server(cluster_env(cluster, {{"RATE_LIMIT_REDIS_FAILURE_MODE", "closed"}}));
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    ASSERT_TRUE(wait_ready(server)) << server.output();
    // Two clients whose keys live on different masters.
    std::string on_victim;
    std::string elsewhere;
    const auto victim = cluster.masters().front();
    for (int i = 1; i < 200 && (on_victim.empty() || elsewhere.empty()); ++i) {
        const std::string client = "192.0.2." + std::to_string(i);
        const bool there = cluster.master_of("rate-limit:global:" + client) == victim;
        (there ? on_victim : elsewhere) = client;
    }
    ASSERT_FALSE(on_victim.empty());
    ASSERT_FALSE(elsewhere.empty());

    cluster.kill(victim);
    const auto killed = Clock::now();
    int unavailable = 0;
    int other_failures = 0;
    std::optional<Clock::time_point> back;
    while (Clock::now() - killed < 20s) {
        const auto hit = version_as(server.port(), on_victim);
        if (hit.status == 503) {
            EXPECT_NE(hit.body.find("RATE_LIMIT_UNAVAILABLE"), std::string::npos) << hit.body;
            ++unavailable;
        } else if (hit.status == 200 && unavailable > 0) {
            back = Clock::now();
            break;
        }
        const auto other = version_as(server.port(), elsewhere);
        other_failures += other.status == 200 ? 0 : 1;
        std::this_thread::sleep_for(20ms);
    }
    ASSERT_TRUE(back) << "the victim's keys never came back; " << unavailable << " 503s";
    std::cout << "killed master (closed mode): " << unavailable
              << " x 503 for its keys, served again "
              << std::chrono::duration_cast<std::chrono::milliseconds>(*back - killed).count()
              << " ms after the kill; other keys failed " << other_failures << " times\n";
    EXPECT_GT(unavailable, 0);
    EXPECT_EQ(other_failures, 0);
    EXPECT_EQ(get(server.port(), "/health").status, 200);
}

}  // namespace
}  // namespace portcullis::test
