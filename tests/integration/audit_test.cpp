// Security events against the real binary (issue #16): every event type reaches GET /auth/events
// and `portcullis audit list`; AUDIT_EVENTS_ENABLED=false records nothing and serves no route;
// AUDIT_RETENTION_DAYS prunes in the cleanup round; and the new tables leave the reference's
// tables exactly as the reference's migrations made them (the database still serves the
// reference).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <filesystem>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fresh_server.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "sha256.hpp"
#include "test_database.hpp"
#include "totp.hpp"

namespace portcullis::test {
namespace {
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr const char* kPassword = "Zq8-unusual!Phrase";
constexpr const char* kNewPassword = "Fresh-Phrase#71q";
constexpr const char* kResetPassword = "Reset-Phrase#93k";

const std::set<std::string> kAllTypes{"user.registered",
                                      "login.succeeded",
                                      "login.failed",
                                      "login.locked",
                                      "login.mfa_required",
                                      "mfa.failed",
                                      "mfa.locked",
                                      "mfa.enrolled",
                                      "mfa.disabled",
                                      "mfa.recovery_code_used",
                                      "mfa.recovery_codes_regenerated",
                                      "refresh.reuse_detected",
                                      "password.reset",
                                      "password.changed",
                                      "password.rehashed",
                                      "role.changed",
                                      "sessions.revoked"};

std::string field(const HttpResponse& r, const char* name) {
    return std::string(boost::json::parse(r.body).at(name).as_string());
}

class Audit : public ::testing::Test, protected FreshServer {
protected:
    Env env(Env overrides = {}) const {
        overrides.try_emplace("AUTH_MFA_ENCRYPTION_KEY",
                              "test-mfa-key-0123456789abcdef-0123456789");
        overrides.try_emplace("AUTH_LOGIN_MAX_ATTEMPTS", "2");
        return fresh_env(overrides);
    }

    void start(Env overrides = {}) { server_ = launch(env(std::move(overrides))); }

    HttpResponse post(const std::string& path, const std::string& body,
                      const std::string& access_token = {}) {
        return post_as(server_->port(), path, body, access_token, {{"User-Agent", "audit-test/1"}});
    }
    HttpResponse login(const std::string& password) {
        return post("/auth/login",
                    R"({"email":"alice@example.com","password":")" + password + R"("})");
    }
    HttpResponse answer(const std::string& token, const std::string& field_name,
                        const std::string& value) {
        return post("/auth/login/mfa", R"({"mfaToken":")" + token + R"(",")" + field_name +
                                           R"(":")" + value + R"("})");
    }
    CommandResult cli(const std::vector<std::string>& args) {
        return run_command({{"DATABASE_URL", db_->url()}}, args);
    }

    // The types GET /auth/events shows `access_token`'s account, once `expected` are all there.
    std::multiset<std::string> events_until(const std::string& access_token,
                                            const std::set<std::string>& expected) {
        std::multiset<std::string> types;
        for (int i = 0; i < 100; ++i) {
            const auto r =
                get(server_->port(), "/auth/events", {{"Authorization", "Bearer " + access_token}});
            EXPECT_EQ(r.status, 200) << r.body;
            types.clear();
            const auto body = boost::json::parse(r.body).as_object();
            for (const auto& event : body.at("events").as_array()) {
                types.insert(std::string(event.at("type").as_string()));
            }
            bool all = true;
            for (const auto& type : expected) all = all && types.count(type) > 0;
            if (all) break;
            std::this_thread::sleep_for(50ms);
        }
        return types;
    }

    std::unique_ptr<ServerProcess> server_;
};

TEST_F(Audit, EveryEventTypeAppearsInTheApiAndTheCli) {
    start();
    const auto registered = post("/auth/register", R"({"email":"alice@example.com","password":")" +
                                                       std::string(kPassword) + R"("})");
    ASSERT_EQ(registered.status, 201);  // user.registered
    std::string access = field(registered, "accessToken");
    ASSERT_EQ(login(kPassword).status, 200);          // login.succeeded
    EXPECT_EQ(login("Wrong-Passw0rd!").status, 401);  // login.failed
    EXPECT_EQ(login("Wrong-Passw0rd!").status, 401);  // (sets the lock)
    EXPECT_EQ(login(kPassword).status, 429);          // login.locked
    ASSERT_EQ(cli({"login-attempts", "clear", "--email", "alice@example.com"}).exit_code, 0);

    // refresh.reuse_detected: a rotated-out token comes back (every session ends).
    const auto session = login(kPassword);
    ASSERT_EQ(session.status, 200);
    const std::string old_refresh = field(session, "refreshToken");
    ASSERT_EQ(post("/auth/refresh", R"({"refreshToken":")" + old_refresh + "\"}").status, 200);
    EXPECT_EQ(post("/auth/refresh", R"({"refreshToken":")" + old_refresh + "\"}").status, 401);
    access = field(login(kPassword), "accessToken");

    // MFA: enrolled, a challenge, failures up to the lock, a recovery code, new codes, disabled.
    if (seconds_left_in_step() < 5) std::this_thread::sleep_for(6s);
    const auto setup =
        post("/auth/mfa/totp/setup", R"({"password":")" + std::string(kPassword) + R"("})", access);
    ASSERT_EQ(setup.status, 200) << setup.body;
    const std::string secret = field(setup, "secret");
    const auto confirmed =
        post("/auth/mfa/totp/confirm", R"({"code":")" + totp_code(secret) + R"("})", access);
    ASSERT_EQ(confirmed.status, 200);  // mfa.enrolled
    std::vector<std::string> codes;
    const auto confirmed_body = boost::json::parse(confirmed.body);
    for (const auto& c : confirmed_body.at("recoveryCodes").as_array()) {
        codes.emplace_back(c.as_string());
    }
    const std::string token = field(login(kPassword), "mfaToken");  // login.mfa_required
    EXPECT_EQ(answer(token, "recoveryCode", "0000-0000-0000-0000").status, 401);  // mfa.failed
    EXPECT_EQ(answer(token, "recoveryCode", "0000-0000-0000-0000").status, 401);
    EXPECT_EQ(answer(token, "recoveryCode", codes[0]).status, 429);  // mfa.locked
    ASSERT_EQ(cli({"login-attempts", "clear", "--email", "alice@example.com"}).exit_code, 0);
    EXPECT_EQ(answer(token, "recoveryCode", codes[0]).status, 200);  // mfa.recovery_code_used
    const auto regenerated =
        post("/auth/mfa/recovery-codes", R"({"code":")" + totp_code(secret, 1) + R"("})", access);
    ASSERT_EQ(regenerated.status, 200);  // ...codes_regenerated
    const std::string fresh(
        boost::json::parse(regenerated.body).at("recoveryCodes").at(0).as_string());
    EXPECT_EQ(post("/auth/mfa/totp/disable",
                   R"({"password":")" + std::string(kPassword) + R"(","recoveryCode":")" + fresh +
                       R"("})",
                   access)
                  .status,
              204);  // mfa.disabled

    // Passwords: changed, reset by token, rehashed after a login with another hash.
    EXPECT_EQ(post("/auth/change-password",
                   R"({"currentPassword":")" + std::string(kPassword) + R"(","newPassword":")" +
                       kNewPassword + R"("})",
                   access)
                  .status,
              204);  // password.changed
    const std::string reset_token = "reset-token-of-the-audit-test-0123456789abc";
    db_->exec(R"(INSERT INTO "PasswordResetToken" (id, "userId", "tokenHash", "expiresAt")
                 SELECT gen_random_uuid()::text, id, ')" +
              sha256_hex(reset_token) + R"(', (now() AT TIME ZONE 'UTC') + interval '10 minutes'
                 FROM "User")");
    EXPECT_EQ(post("/auth/reset-password",
                   R"({"token":")" + reset_token + R"(","password":")" + kResetPassword + R"("})")
                  .status,
              204);  // password.reset
    std::ifstream file(std::string(PORTCULLIS_SOURCE_DIR) + "/tests/vectors/argon2.json");
    std::stringstream text;
    text << file.rdbuf();
    const auto vector = boost::json::parse(text.str()).at("vectors").at(0).as_object();
    db_->exec(R"(UPDATE "User" SET password = ')" + std::string(vector.at("hash").as_string()) +
              "'");
    const auto relogin = login(std::string(vector.at("password").as_string()));
    ASSERT_EQ(relogin.status, 200);  // password.rehashed
    access = field(relogin, "accessToken");

    // Sessions ended by the account, and by an operator; a role changed by an operator.
    const auto other = login(std::string(vector.at("password").as_string()));
    EXPECT_EQ(post("/auth/logout-all", "", field(other, "accessToken")).status, 204);
    access = field(login(std::string(vector.at("password").as_string())), "accessToken");
    EXPECT_EQ(
        cli({"user", "set-role", "--email", "alice@example.com", "--role", "ADMIN"}).exit_code,
        0);  // role.changed
    const auto revoked = cli({"sessions", "revoke", "--email", "alice@example.com"});
    EXPECT_EQ(revoked.exit_code, 0) << revoked.err;  // sessions.revoked
    EXPECT_TRUE(revoked.err.empty()) << revoked.err;
    access = field(login(std::string(vector.at("password").as_string())), "accessToken");

    const auto types = events_until(access, kAllTypes);
    for (const auto& type : kAllTypes) EXPECT_EQ(types.count(type) > 0, true) << type;
    // The last login is the newest event once the writer has stored it.
    boost::json::object body;
    for (int i = 0; i < 100; ++i) {
        const auto r =
            get(server_->port(), "/auth/events", {{"Authorization", "Bearer " + access}});
        body = boost::json::parse(r.body).as_object();
        if (body.at("events").at(0).at("type") == "login.succeeded") break;
        std::this_thread::sleep_for(50ms);
    }
    const auto& newest = body.at("events").at(0).as_object();
    EXPECT_EQ(newest.at("type"), "login.succeeded");
    EXPECT_EQ(newest.at("ipAddress"), "::ffff:127.0.0.1");
    EXPECT_EQ(newest.at("userAgent"), "audit-test/1");
    EXPECT_EQ(body.at("count").to_number<std::int64_t>(),
              static_cast<std::int64_t>(body.at("events").as_array().size()));

    // The operator sees the same, filtered as asked.
    const auto listed = cli({"audit", "list", "--email", "ALICE@example.com", "--json"});
    ASSERT_EQ(listed.exit_code, 0) << listed.err;
    std::set<std::string> cli_types;
    const auto listed_events = boost::json::parse(listed.out);
    for (const auto& event : listed_events.as_array()) {
        cli_types.insert(std::string(event.at("type").as_string()));
    }
    EXPECT_EQ(cli_types, kAllTypes);
    const auto roles = cli({"audit", "list", "--type", "role.changed", "--since", "1h"});
    EXPECT_EQ(roles.exit_code, 0) << roles.err;
    EXPECT_THAT(roles.out, HasSubstr(R"({"by": "cli", "to": "ADMIN", "from": "USER"})"));
    EXPECT_THAT(roles.out, HasSubstr("1 event(s)"));
    EXPECT_EQ(cli({"audit", "list", "--type", "login.nope"}).exit_code, 1);
    EXPECT_EQ(cli({"audit", "list", "--since", "yesterday"}).exit_code, 1);
    EXPECT_EQ(cli({"audit", "list", "--since", "2999-01-01"}).exit_code, 1);
    const auto future = cli({"audit", "list", "--since", "2199-01-01"});
    EXPECT_THAT(future.out, HasSubstr("0 event(s)"));
    // No secret in an event: neither passwords nor tokens.
    const auto everything = db_->query(R"(SELECT coalesce(detail::text, '') FROM "AuditEvent")");
    for (const auto& row : everything) {
        EXPECT_THAT(row[0].value_or(""), ::testing::Not(HasSubstr("Phrase")));
    }
}

TEST_F(Audit, OffRecordsNothingAndServesNoRoute) {
    start({{"AUDIT_EVENTS_ENABLED", "false"}});
    const auto registered = post("/auth/register", R"({"email":"alice@example.com","password":")" +
                                                       std::string(kPassword) + R"("})");
    ASSERT_EQ(registered.status, 201);
    EXPECT_EQ(login("Wrong-Passw0rd!").status, 401);
    const auto events = get(server_->port(), "/auth/events",
                            {{"Authorization", "Bearer " + field(registered, "accessToken")}});
    EXPECT_EQ(events.status, 404);
    std::this_thread::sleep_for(500ms);
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "AuditEvent")"), "0");
    const auto document = get(server_->port(), "/openapi.json");
    EXPECT_THAT(document.body, ::testing::Not(HasSubstr("/auth/events")));
}

TEST_F(Audit, RetentionPrunesOldEventsInTheCleanupRound) {
    const auto migrated = cli({"migrate", "deploy"});
    ASSERT_EQ(migrated.exit_code, 0) << migrated.err;
    db_->exec(R"(INSERT INTO "AuditEvent" (type, email, "createdAt") VALUES
                 ('login.failed', 'old@example.com', (now() AT TIME ZONE 'UTC') - interval '3 days'),
                 ('login.failed', 'new@example.com', (now() AT TIME ZONE 'UTC') - interval '1 hour'))");
    db_->exec(R"(INSERT INTO "User" (id, email, password, "updatedAt") VALUES
                 ('3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f', 'x@example.com', 'x', now());
               INSERT INTO "MfaChallenge" (id, "userId", "tokenHash", "passwordDigest", "expiresAt")
                 VALUES ('c1', '3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f', 'h', 'd',
                         (now() AT TIME ZONE 'UTC') - interval '1 minute'))");
    start({{"AUDIT_RETENTION_DAYS", "1"}});
    const auto pruned = server_->wait_for_line(
        [](const boost::json::value& v) {
            return json_string_at(v, {"msg"}).starts_with("[retention] removed");
        },
        10s);
    ASSERT_TRUE(pruned) << server_->output();
    EXPECT_EQ(json_string_at(*pruned, {"msg"}),
              "[retention] removed 1 audit event(s) and 1 expired MFA challenge(s)");
    EXPECT_EQ(db_->query_scalar(R"(SELECT string_agg(email, ',') FROM "AuditEvent")"),
              "new@example.com");
}

// What the reference's own migrations make of its tables, column by column, index by index and
// constraint by constraint.
std::vector<Row> reference_shape(const TestDatabase& db) {
    return db.query(R"(
        SELECT 'column', table_name || '.' || column_name,
               data_type || coalesce(':' || column_default, '') || ':' || is_nullable
        FROM information_schema.columns
        WHERE table_schema = 'public' AND table_name IN
              ('User', 'Session', 'VerificationToken', 'PasswordResetToken', 'LoginAttempt')
        UNION ALL
        SELECT 'index', tablename || '.' || indexname, indexdef FROM pg_indexes
        WHERE schemaname = 'public' AND tablename IN
              ('User', 'Session', 'VerificationToken', 'PasswordResetToken', 'LoginAttempt')
        UNION ALL
        SELECT 'constraint', conrelid::regclass::text || '.' || conname, pg_get_constraintdef(oid)
        FROM pg_constraint
        WHERE conrelid::regclass::text IN
              ('"User"', '"Session"', '"VerificationToken"', '"PasswordResetToken"',
               '"LoginAttempt"')
        UNION ALL
        SELECT 'enum', 'Role', string_agg(enumlabel, ',' ORDER BY enumsortorder) FROM pg_enum
        WHERE enumtypid = '"Role"'::regtype
        ORDER BY 1, 2)");
}

TEST(AccountSecurityMigration, TheReferenceTablesStayAsTheReferenceMadeThem) {
    TestDatabase reference;
    const auto folder = std::filesystem::path(PORTCULLIS_SOURCE_DIR) / "src/db/migrations";
    for (const char* name :
         {"20251013212217_add_user_and_session", "20251026053000_add_session_expiration",
          "20251101000000_remove_session_expiration", "20251102010100_auth_lifecycle",
          "20251102030000_add_user_role"}) {
        std::ifstream in(folder / name / "migration.sql");
        std::stringstream sql;
        sql << in.rdbuf();
        reference.exec(sql.str());
    }
    TestDatabase ours;
    const auto migrated = run_command({{"DATABASE_URL", ours.url()}}, {"migrate", "deploy"});
    ASSERT_EQ(migrated.exit_code, 0) << migrated.err;
    EXPECT_EQ(reference_shape(ours), reference_shape(reference));
    EXPECT_GT(reference_shape(reference).size(), 40U);
    // And our migration only creates: every object it adds belongs to a table of its own.
    const auto own = ours.query(R"(SELECT table_name FROM information_schema.tables
                                   WHERE table_schema = 'public' ORDER BY 1)");
    std::set<std::string> names;
    for (const auto& row : own) names.insert(row[0].value_or(""));
    for (const char* table :
         {"MfaTotp", "MfaRecoveryCode", "MfaChallenge", "MfaAttempt", "AuditEvent"}) {
        EXPECT_EQ(names.count(table), 1U) << table;
    }
}

}  // namespace
}  // namespace portcullis::test
