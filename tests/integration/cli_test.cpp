// The operator command line against a real database (contract 13; decisions B.1, B.17, E.3):
// every row of the set-role and bootstrap-first-admin tables (stream, text, exit code), user
// show/list, sessions cleanup/revoke, check-config, the database commands with DATABASE_URL alone,
// and healthcheck against a running server.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <signal.h>

#include <memory>
#include <string>
#include <vector>

#include "http_client.hpp"
#include "server_process.hpp"
#include "test_database.hpp"

namespace portcullis::test {
namespace {
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using namespace std::chrono_literals;

constexpr const char* kAliceId = "0b7e3f9a-1c2d-4e5f-8a9b-0c1d2e3f4a5b";
constexpr const char* kBobId = "1c8f4a0b-2d3e-4f60-9bac-1d2e3f4a5b6c";

// A migrated database holding two accounts, and the environment a database command needs:
// DATABASE_URL and nothing else (decisions E.3).
class Cli : public ::testing::Test {
protected:
    void SetUp() override {
        db_ = std::make_unique<TestDatabase>();
        const auto migrated = run_command(db_env(), {"migrate", "deploy"});
        ASSERT_EQ(migrated.exit_code, 0) << migrated.out << migrated.err;
        db_->exec(std::string(R"(INSERT INTO "User" (id, email, password, "updatedAt", role) VALUES
            (')") +
                  kAliceId + R"(', 'alice@example.com', 'x', now(), 'USER'),
            (')" + kBobId +
                  R"(', 'bob@example.com', 'x', now(), 'ADMIN'))");
    }

    Env db_env() const { return {{"DATABASE_URL", db_->url()}}; }
    CommandResult run(const std::vector<std::string>& args) { return run_command(db_env(), args); }
    std::string role_of(const char* id) {
        return db_
            ->query_scalar(std::string(R"(SELECT role::text FROM "User" WHERE id = ')") + id + "'")
            .value_or("");
    }

    std::unique_ptr<TestDatabase> db_;
};

// --- contract 13.1 ---

TEST_F(Cli, SetRoleWithoutSelectorOrRolePrintsUsageAndExits1) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"user", "set-role"},
             {"user", "set-role", "--role", "ADMIN"},
             {"user", "set-role", "--email", "alice@example.com"},
             {"user", "set-role", "--email=", "--role", "ADMIN"},  // empty counts as missing
             {"user", "set-role", "--email", "alice@example.com", "--role="}}) {
        const auto r = run(args);
        EXPECT_EQ(r.exit_code, 1) << args.size();
        EXPECT_THAT(r.out, StartsWith("Usage:\n  portcullis user set-role (--email "));
        EXPECT_THAT(r.out, HasSubstr("\n\nExamples:\n"));
        EXPECT_THAT(r.err, IsEmpty());
    }
    EXPECT_EQ(role_of(kAliceId), "USER");
}

TEST_F(Cli, SetRoleHelpPrintsUsageAndOptionsAndExits0) {
    for (const char* flag : {"--help", "-h"}) {
        const auto r = run({"user", "set-role", flag});
        EXPECT_EQ(r.exit_code, 0);
        EXPECT_THAT(r.out, StartsWith("Usage:\n"));
        EXPECT_THAT(r.out, HasSubstr("--revoke-sessions"));
        EXPECT_THAT(r.out, HasSubstr("--role"));
    }
}

TEST_F(Cli, SetRoleRejectsAnUnknownRole) {
    const auto r = run({"user", "set-role", "--email", "alice@example.com", "--role", "owner"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "[user:set-role] invalid role \"owner\". Expected one of: USER, ADMIN\n");
    EXPECT_THAT(r.out, IsEmpty());
}

TEST_F(Cli, SetRolePromotesWithEitherArgumentForm) {
    // `--flag value` and `--flag=value`, a lower-case role, unknown arguments ignored.
    const auto r = run({"user", "set-role", "--email=alice@example.com", "--role", "admin",
                        "--unknown", "--verbose=yes"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, std::string("[user:set-role] updated ") + kAliceId +
                         " (alice@example.com): USER -> ADMIN\n");
    EXPECT_THAT(r.err, IsEmpty());
    EXPECT_EQ(role_of(kAliceId), "ADMIN");

    const auto again = run({"user", "set-role", "--id", kAliceId, "--role", "ADMIN"});
    EXPECT_EQ(again.exit_code, 0);
    EXPECT_EQ(again.out, std::string("[user:set-role] no change: id=") + kAliceId +
                             " already has role ADMIN\n");

    const auto demoted = run({"user", "set-role", "--id=" + std::string(kAliceId), "--role=USER"});
    EXPECT_EQ(demoted.exit_code, 0);
    EXPECT_THAT(demoted.out, HasSubstr(": ADMIN -> USER\n"));
    EXPECT_EQ(role_of(kAliceId), "USER");
}

TEST_F(Cli, SetRoleNoChangeNamesTheEmailSelector) {
    const auto r = run({"user", "set-role", "--email", "bob@example.com", "--role", "ADMIN"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.out, "[user:set-role] no change: email=bob@example.com already has role ADMIN\n");
}

TEST_F(Cli, SetRoleWithBothSelectorsWarnsAndUsesTheId) {
    const auto r =
        run({"user", "set-role", "--email", "alice@example.com", "--id", kBobId, "--role", "USER"});
    EXPECT_EQ(r.exit_code, 0);
    EXPECT_EQ(r.err, "[user:set-role] both --email and --id provided; defaulting to --id\n");
    EXPECT_THAT(r.out, HasSubstr(std::string("updated ") + kBobId));
    EXPECT_EQ(role_of(kBobId), "USER");
    EXPECT_EQ(role_of(kAliceId), "USER");
}

TEST_F(Cli, SetRoleMatchesTheStoredEmailExactly) {
    const auto r = run({"user", "set-role", "--email", "Alice@Example.com", "--role", "ADMIN"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(r.err, "[user:set-role] no user found for email=Alice@Example.com\n");
    EXPECT_THAT(r.out, IsEmpty());
    const auto by_id = run({"user", "set-role", "--id", "not-an-id", "--role", "ADMIN"});
    EXPECT_EQ(by_id.exit_code, 1);
    EXPECT_EQ(by_id.err, "[user:set-role] no user found for id=not-an-id\n");
    EXPECT_EQ(role_of(kAliceId), "USER");
}

TEST_F(Cli, SetRoleReportsADatabaseFailure) {
    // A port nobody listens on: the connection fails, the command says so on stderr.
    const auto r = run_command(
        {{"DATABASE_URL",
          "postgresql://portcullis:pw@127.0.0.1:" + std::to_string(free_port()) + "/nowhere"}},
        {"user", "set-role", "--email", "alice@example.com", "--role", "ADMIN"});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, StartsWith("[user:set-role] failed to update role"));
    EXPECT_THAT(r.err, Not(HasSubstr("pw@")));
}

TEST_F(Cli, DatabaseCommandsWithoutDatabaseUrlSayItMustBeSet) {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"user", "set-role", "--email", "a@b.c", "--role", "ADMIN"},
             {"user", "bootstrap-first-admin", "--email", "a@b.c"},
             {"user", "show", "--email", "a@b.c"},
             {"user", "list"},
             {"sessions", "cleanup"},
             {"sessions", "revoke", "--email", "a@b.c"},
             {"login-attempts", "clear", "--email", "a@b.c"}}) {
        const auto r = run_command({}, args);
        EXPECT_EQ(r.exit_code, 1) << args[0] << ' ' << args[1];
        EXPECT_EQ(r.err, "DATABASE_URL must be set\n") << args[0] << ' ' << args[1];
    }
    const auto migrate = run_command({}, {"migrate", "deploy"});
    EXPECT_EQ(migrate.exit_code, 1);
    EXPECT_THAT(migrate.out,
                HasSubstr(R"("errors":{"DATABASE_URL":["DATABASE_URL must be set"]})"));
}

TEST_F(Cli, RevokeSessionsEndsTheAccountsRefreshTokens) {
    auto env = base_env();
    env["DATABASE_URL"] = db_->url();
    env["AUTH_ARGON2_MEMORY_KIB"] = "8192";
    env["AUTH_ARGON2_ITERATIONS"] = "1";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy(30s)) << server.output();
    const auto registered =
        post_json(server.port(), "/auth/register",
                  R"({"email":"carol@example.com","password":"Str0ng!Passw0rd"})");
    ASSERT_EQ(registered.status, 201) << registered.body;
    const std::string refresh(
        boost::json::parse(registered.body).as_object().at("refreshToken").as_string());

    const auto r = run({"user", "set-role", "--email", "carol@example.com", "--role", "ADMIN",
                        "--revoke-sessions"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("USER -> ADMIN\n"));
    EXPECT_THAT(r.out, HasSubstr("revoked 1 session(s)"));
    const auto refreshed =
        post_json(server.port(), "/auth/refresh", R"({"refreshToken":")" + refresh + R"("})");
    EXPECT_EQ(refreshed.status, 401) << refreshed.body;

    // Without the flag the sessions live on (contract 13.1: roles are read per request).
    const auto login = post_json(server.port(), "/auth/login",
                                 R"({"email":"carol@example.com","password":"Str0ng!Passw0rd"})");
    ASSERT_EQ(login.status, 200);
    const std::string second(
        boost::json::parse(login.body).as_object().at("refreshToken").as_string());
    EXPECT_EQ(run({"user", "set-role", "--email", "carol@example.com", "--role", "USER"}).exit_code,
              0);
    EXPECT_EQ(
        post_json(server.port(), "/auth/refresh", R"({"refreshToken":")" + second + R"("})").status,
        200);
}

// --- contract 13.2 ---

TEST_F(Cli, BootstrapFirstAdmin) {
    const auto usage = run({"user", "bootstrap-first-admin"});
    EXPECT_EQ(usage.exit_code, 1);
    EXPECT_THAT(usage.out, StartsWith("Usage:\n  portcullis user bootstrap-first-admin"));
    EXPECT_THAT(usage.out, HasSubstr("must register first"));

    const auto missing = run({"user", "bootstrap-first-admin", "--email", "nobody@example.com"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_EQ(missing.err, "[bootstrap-first-admin] no user found for email=nobody@example.com\n");

    const auto promoted = run({"user", "bootstrap-first-admin", "--email", "alice@example.com"});
    EXPECT_EQ(promoted.exit_code, 0) << promoted.err;
    EXPECT_EQ(promoted.out,
              std::string("[bootstrap-first-admin] updated ") + kAliceId +
                  " (alice@example.com): USER -> ADMIN\n"
                  "[bootstrap-first-admin] remove this helper once your app owns admin "
                  "creation.\n");
    EXPECT_EQ(role_of(kAliceId), "ADMIN");

    const auto again = run({"user", "bootstrap-first-admin", "--id", kAliceId});
    EXPECT_EQ(again.exit_code, 0);
    EXPECT_EQ(again.out, std::string("[bootstrap-first-admin] no change: id=") + kAliceId +
                             " already has role ADMIN\n");

    const auto broken = run_command(
        {{"DATABASE_URL", "postgresql://x@127.0.0.1:" + std::to_string(free_port()) + "/nowhere"}},
        {"user", "bootstrap-first-admin", "--email", "alice@example.com"});
    EXPECT_EQ(broken.exit_code, 1);
    EXPECT_THAT(broken.err, StartsWith("[bootstrap-first-admin] failed to promote user"));
}

// --- audits ---

TEST_F(Cli, UserShowAndList) {
    db_->exec(std::string(R"(INSERT INTO "Session" (id, "userId", token, valid, "updatedAt") VALUES
        ('s1', ')") +
              kAliceId + R"(', 'h1', true, now() AT TIME ZONE 'UTC'),
        ('s2', ')" +
              kAliceId + R"(', 'h2', false, now() AT TIME ZONE 'UTC'),
        ('s3', ')" +
              kAliceId + R"(', 'h3', true, now() AT TIME ZONE 'UTC' - interval '30 days'))");
    const auto shown = run({"user", "show", "--email", " ALICE@example.com "});
    EXPECT_EQ(shown.exit_code, 0) << shown.err;
    EXPECT_THAT(shown.out, HasSubstr(std::string("id:        ") + kAliceId + "\n"));
    EXPECT_THAT(shown.out, HasSubstr("role:      USER\n"));
    EXPECT_THAT(shown.out, HasSubstr("verified:  no\n"));
    EXPECT_THAT(shown.out, HasSubstr("sessions:  1 active\n"));  // revoked and expired do not count

    const auto as_json = run({"user", "show", "--id", kAliceId, "--json"});
    ASSERT_EQ(as_json.exit_code, 0);
    const auto account = boost::json::parse(as_json.out).as_object();
    EXPECT_EQ(account.at("email").as_string(), "alice@example.com");
    EXPECT_EQ(account.at("activeSessions").as_int64(), 1);
    EXPECT_TRUE(account.at("emailVerifiedAt").is_null());

    const auto unknown = run({"user", "show", "--id", "nope"});
    EXPECT_EQ(unknown.exit_code, 1);
    EXPECT_EQ(unknown.err, "[user:show] no user found for id=nope\n");

    const auto admins = run({"user", "list", "--role", "ADMIN"});
    EXPECT_EQ(admins.exit_code, 0) << admins.err;
    EXPECT_THAT(admins.out, HasSubstr("bob@example.com  ADMIN"));
    EXPECT_THAT(admins.out, Not(HasSubstr("alice@")));
    EXPECT_THAT(admins.out, HasSubstr("1 account(s)\n"));

    const auto everyone = run({"user", "list", "--json"});
    ASSERT_EQ(everyone.exit_code, 0);
    EXPECT_EQ(boost::json::parse(everyone.out).as_array().size(), 2U);
    const auto first = run({"user", "list", "--limit", "1"});
    EXPECT_THAT(first.out, HasSubstr("1 account(s) shown; more exist"));

    EXPECT_EQ(run({"user", "list", "--role", "root"}).exit_code, 1);
}

// --- contract 13.3 and sessions revoke ---

TEST_F(Cli, SessionsCleanupDeletesRevokedAndExpiredOnly) {
    // JWT_REFRESH_EXPIRY=1h: updatedAt two hours ago is expired, ten minutes ago is live.
    db_->exec(std::string(R"(INSERT INTO "Session" (id, "userId", token, valid, "updatedAt") VALUES
        ('revoked', ')") +
              kAliceId + R"(', '', false, now() AT TIME ZONE 'UTC'),
        ('expired', ')" +
              kAliceId + R"(', 'h', true, now() AT TIME ZONE 'UTC' - interval '2 hours'),
        ('live', ')" +
              kAliceId + R"(', 'h', true, now() AT TIME ZONE 'UTC' - interval '10 minutes'),
        ('live2', ')" +
              kBobId + R"(', 'h', true, now() AT TIME ZONE 'UTC'))");
    auto env = db_env();
    env["JWT_REFRESH_EXPIRY"] = "1h";
    const auto r = run_command(env, {"sessions", "cleanup"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, "[sessionCleanup] removed 2 expired/invalid session(s)\n");
    const auto left = db_->query(R"(SELECT id FROM "Session" ORDER BY id)");
    ASSERT_EQ(left.size(), 2U);
    EXPECT_EQ(left[0][0], "live");
    EXPECT_EQ(left[1][0], "live2");

    // Nothing left to do still prints its line (contract 13.3).
    const auto again = run_command(env, {"sessions", "cleanup"});
    EXPECT_EQ(again.exit_code, 0);
    EXPECT_EQ(again.out, "[sessionCleanup] removed 0 expired/invalid session(s)\n");

    // A bare number is refused (decisions B.14), and the failure goes to stderr.
    env["JWT_REFRESH_EXPIRY"] = "3600";
    const auto bare = run_command(env, {"sessions", "cleanup"});
    EXPECT_EQ(bare.exit_code, 1);
    EXPECT_THAT(bare.err, HasSubstr("JWT_REFRESH_EXPIRY"));

    const auto broken = run_command(
        {{"DATABASE_URL", "postgresql://x@127.0.0.1:" + std::to_string(free_port()) + "/none"}},
        {"sessions", "cleanup"});
    EXPECT_EQ(broken.exit_code, 1);
    EXPECT_THAT(broken.err, StartsWith("[sessionCleanup] failed"));
}

TEST_F(Cli, SessionsRevokeEndsEverySessionOfTheAccount) {
    db_->exec(std::string(R"(INSERT INTO "Session" (id, "userId", token, valid, "updatedAt") VALUES
        ('a1', ')") +
              kAliceId + R"(', 'h1', true, now()),
        ('a2', ')" +
              kAliceId + R"(', 'h2', true, now()),
        ('b1', ')" +
              kBobId + R"(', 'h3', true, now()))");
    const auto r = run({"sessions", "revoke", "--email", "Alice@Example.com"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out, std::string("[sessions:revoke] revoked 2 session(s) of ") + kAliceId +
                         " (alice@example.com)\n");
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "Session" WHERE valid AND token <> '')"),
              "1");
    const auto unknown = run({"sessions", "revoke", "--id", "nope"});
    EXPECT_EQ(unknown.exit_code, 1);
    EXPECT_EQ(unknown.err, "[sessions:revoke] no user found for id=nope\n");
    EXPECT_EQ(run({"sessions", "revoke"}).exit_code, 1);
}

// --- migrations with DATABASE_URL alone ---

TEST_F(Cli, MigrateDeployAndStatusNeedOnlyTheDatabaseUrl) {
    TestDatabase fresh;
    const Env env{{"DATABASE_URL", fresh.url()}};
    const auto pending = run_command(env, {"migrate", "status"});
    EXPECT_EQ(pending.exit_code, 1);
    EXPECT_THAT(pending.out, HasSubstr("pending"));
    const auto deployed = run_command(env, {"migrate", "deploy"});
    EXPECT_EQ(deployed.exit_code, 0) << deployed.out << deployed.err;
    EXPECT_THAT(deployed.out, HasSubstr("All migrations have been applied"));
    const auto status = run_command(env, {"migrate", "status"});
    EXPECT_EQ(status.exit_code, 0) << status.out;
    EXPECT_THAT(status.out, HasSubstr("Database schema is up to date."));
}

// --- check-config and the combined problem list ---

TEST(CheckConfig, ValidEnvironmentPrintsConfigurationOk) {
    auto env = base_env();
    env["DATABASE_URL"] = "postgresql://app:pw@db.invalid:5432/app";  // never connected to
    const auto r = run_command(env, {"check-config"});
    EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
    EXPECT_EQ(r.out, "configuration ok\n");
}

TEST(CheckConfig, InvalidEnvironmentPrintsTheServeLineWithEveryProblem) {
    auto env = base_env();
    env["JWT_ACCESS_SECRET"] = "too-short";
    env["METRICS_GUARD"] = "cidr";
    env["METRICS_GUARD_ALLOWLIST"] = "10.0.0.0/8, not-a-cidr";
    env["APP_ENV"] = "production";
    env["RATE_LIMIT_REDIS_URL"] = "redis://:secretpw@127.0.0.1:6379";
    const auto checked = run_command(env, {"check-config"});
    EXPECT_EQ(checked.exit_code, 1);
    const auto line = boost::json::parse(checked.out).as_object();
    EXPECT_EQ(line.at("level").as_string(), "fatal");
    EXPECT_EQ(line.at("msg").as_string(), "Invalid configuration");
    const auto& errors = line.at("errors").as_object();
    EXPECT_EQ(errors.at("JWT_ACCESS_SECRET").as_array().at(0).as_string(),
              "JWT access secret must be at least 32 characters long");
    EXPECT_EQ(errors.at("METRICS_GUARD_ALLOWLIST").as_array().at(0).as_string(),
              "Invalid CIDR entries: not-a-cidr");
    EXPECT_EQ(errors.at("CORS_ORIGINS").as_array().size(), 1U);
    EXPECT_EQ(errors.size(), 3U);
    EXPECT_THAT(checked.out, Not(HasSubstr("secretpw")));

    // serve reports the same line and exits 1 before listening.
    ServerProcess serve(env);
    EXPECT_EQ(serve.wait_exit(20s), 1);
    bool found = false;
    for (const auto& logged : serve.json_lines()) {
        if (json_string_at(logged, {"msg"}) != "Invalid configuration") continue;
        found = true;
        EXPECT_EQ(logged.as_object().at("errors"), line.at("errors"));
    }
    EXPECT_TRUE(found) << serve.output();
}

TEST(CheckConfig, ListsTheVariablesTheBinaryReads) {
    const auto r = run_command({}, {"check-config", "--list-variables"});
    EXPECT_EQ(r.exit_code, 0);
    for (const char* name : {"DATABASE_URL\n", "JWT_ACCESS_SECRET\n", "RATE_LIMIT_REDIS_URL\n",
                             "SESSION_CLEANUP_INTERVAL_MINUTES\n", "SMTP_FROM\n", "NODE_ENV\n"}) {
        EXPECT_THAT(r.out, HasSubstr(name));
    }
}

// --- healthcheck ---

TEST(Healthcheck, ExitCodeFollowsReady) {
    ServerProcess server(base_env());
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const std::string port = std::to_string(server.port());
    const auto ready = run_command({{"PORT", port}}, {"healthcheck"});
    EXPECT_EQ(ready.exit_code, 0) << ready.err;
    EXPECT_THAT(ready.out, HasSubstr("200"));
    const auto flag = run_command({}, {"healthcheck", "--port", port, "--path", "/health"});
    EXPECT_EQ(flag.exit_code, 0) << flag.err;
    const auto missing = run_command({{"PORT", port}}, {"healthcheck", "--path", "/nope"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_THAT(missing.err, HasSubstr("404"));

    // While shutting down /ready answers 503, so the probe fails.
    auto env = base_env();
    env["SHUTDOWN_DELAY_MS"] = "3000";
    ServerProcess draining(env);
    ASSERT_TRUE(draining.wait_healthy()) << draining.output();
    draining.signal(SIGTERM);
    ASSERT_TRUE(poll_until(
        draining.port(), "/ready", [](const HttpResponse& r) { return r.status == 503; }, 2s));
    const auto shutting = run_command({{"PORT", std::to_string(draining.port())}}, {"healthcheck"});
    EXPECT_EQ(shutting.exit_code, 1);
    EXPECT_THAT(shutting.err, HasSubstr("SHUTTING_DOWN"));

    const auto closed = run_command(
        {}, {"healthcheck", "--port", std::to_string(free_port()), "--timeout-ms", "500"});
    EXPECT_EQ(closed.exit_code, 1);
    EXPECT_THAT(closed.err, HasSubstr("unhealthy"));
}

TEST(Help, EveryCommandIsListedAndDescribesItsOptions) {
    const auto top = run_command({}, {"--help"});
    EXPECT_EQ(top.exit_code, 0);
    for (const char* command :
         {"serve", "migrate", "user", "sessions", "login-attempts", "audit", "hash", "blocklist",
          "check-config", "healthcheck", "keys", "version"}) {
        EXPECT_THAT(top.out, HasSubstr(std::string("\n  ") + command + " ")) << command;
    }
    const std::vector<std::pair<std::vector<std::string>, std::string>> options = {
        {{"serve", "--help"}, "--migrate"},
        {{"user", "show", "--help"}, "--json"},
        {{"user", "list", "--help"}, "--limit"},
        {{"sessions", "revoke", "--help"}, "--email"},
        {{"login-attempts", "clear", "--help"}, "--ip"},
        {{"check-config", "--help"}, "--list-variables"},
        {{"healthcheck", "--help"}, "--timeout-ms"},
        {{"user", "bootstrap-first-admin", "--help"}, "--id"},
        {{"audit", "list", "--help"}, "--since"},
        {{"hash", "calibrate", "--help"}, "--target-ms"},
        {{"blocklist", "check", "--help"}, "--stats"},
        {{"blocklist", "verify", "--help"}, "--file"},
        {{"keys", "generate", "--help"}, "--dir"}};
    for (const auto& [args, option] : options) {
        const auto r = run_command({}, args);
        EXPECT_EQ(r.exit_code, 0) << args[0];
        EXPECT_THAT(r.out, HasSubstr(option)) << args[0];
    }
}

}  // namespace
}  // namespace portcullis::test
