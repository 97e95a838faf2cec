// The auth core over HTTP against a real Postgres (contract 4, 5, 17; decisions B.7–B.9, B.15):
// register, login, lockout, refresh rotation and reuse, logout, sessions, protected routes, and
// the drop-in case of rows and tokens made by the reference.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <signal.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

#include "harness.hpp"
#include "http_client.hpp"
#include "private_postgres.hpp"
#include "server_process.hpp"
#include "test_database.hpp"

namespace portcullis::test {
namespace {
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

std::string sha256_hex(const std::string& text) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : digest) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0x0f]);
    }
    return out;
}

boost::json::object parse_object(const std::string& body) {
    return boost::json::parse(body).as_object();
}

std::string str(const boost::json::object& o, const char* key) {
    return std::string(o.at(key).as_string());
}

constexpr const char* kPassword = "Str0ng!Passw0rd";

// The `exp` claim of a JWT (read without verification) as a point on the system clock.
std::chrono::system_clock::time_point expiry_of(const std::string& token) {
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    std::string payload = token.substr(first + 1, second - first - 1);
    for (auto& c : payload) c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (payload.size() % 4 != 0) payload.push_back('=');
    std::string json(payload.size(), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(json.data()),
                                  reinterpret_cast<const unsigned char*>(payload.data()),
                                  static_cast<int>(payload.size()));
    if (n < 0) throw std::runtime_error("not a JWT: " + token);
    json.resize(static_cast<std::size_t>(n));
    while (!json.empty() && json.back() == '\0') json.pop_back();  // decoded padding
    const auto exp = boost::json::parse(json).as_object().at("exp").to_number<std::int64_t>();
    return std::chrono::system_clock::time_point(std::chrono::seconds(exp));
}

// One migrated database and one server per test; cheap Argon2 parameters keep tests fast.
class AuthApi : public ::testing::Test {
protected:
    void SetUp() override { db_ = std::make_unique<TestDatabase>(); }

    void start(Env overrides = {}) {
        auto env = base_env();
        env["DATABASE_URL"] = db_->url();
        env["AUTH_ARGON2_MEMORY_KIB"] = "8192";
        env["AUTH_ARGON2_ITERATIONS"] = "1";
        for (auto& [k, v] : overrides) env[k] = v;
        server_ =
            std::make_unique<ServerProcess>(env, std::vector<std::string>{"serve", "--migrate"});
        ASSERT_TRUE(server_->wait_healthy(30s)) << server_->output();
        if (env["APP_ENV"] != "production") {
            ASSERT_TRUE(server_->wait_startup_cleanup()) << server_->output();
        }
    }

    std::uint16_t port() const { return server_->port(); }

    HttpResponse post(const std::string& path, const std::string& body,
                      std::vector<std::pair<std::string, std::string>> headers = {}) {
        return post_json(port(), path, body, std::move(headers));
    }
    HttpResponse get_as(const std::string& path, const std::string& access_token) {
        return get(port(), path, {{"Authorization", "Bearer " + access_token}});
    }
    HttpResponse register_user(const std::string& email, const std::string& password = kPassword) {
        return post("/auth/register",
                    R"({"email":")" + email + R"(","password":")" + password + R"("})");
    }
    HttpResponse login(const std::string& email, const std::string& password = kPassword,
                       std::vector<std::pair<std::string, std::string>> headers = {}) {
        return post("/auth/login",
                    R"({"email":")" + email + R"(","password":")" + password + R"("})",
                    std::move(headers));
    }
    HttpResponse refresh(const std::string& token) {
        return post("/auth/refresh", R"({"refreshToken":")" + token + R"("})");
    }
    // Registers and returns {accessToken, refreshToken, userId}.
    std::tuple<std::string, std::string, std::string> signed_up(const std::string& email) {
        const auto r = register_user(email);
        EXPECT_EQ(r.status, 201) << r.body;
        const auto body = parse_object(r.body);
        const auto id = db_->query_scalar("SELECT id FROM \"User\" WHERE email = '" + email + "'");
        return {str(body, "accessToken"), str(body, "refreshToken"), id.value_or("")};
    }
    void expect_error(const HttpResponse& r, int status, const std::string& message,
                      const std::string& code) {
        EXPECT_EQ(r.status, status) << r.body;
        EXPECT_EQ(r.body, R"({"error":{"message":")" + message + R"(","code":")" + code + R"("}})");
    }

    std::unique_ptr<TestDatabase> db_;
    std::unique_ptr<ServerProcess> server_;
};

TEST_F(AuthApi, RegisterAnswersTokensAndStoresOnlyHashes) {
    start();
    const auto r = register_user("Alice@Example.COM");
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_THAT(r.body,
                ::testing::StartsWith(R"({"emailVerificationRequired":false,"accessToken":")"));
    const auto body = parse_object(r.body);
    const auto refresh_token = str(body, "refreshToken");
    const auto rows = db_->query(
        R"(SELECT u.email, u.password, u.role::text, u."emailVerifiedAt" IS NOT NULL, s.token, s.valid,
                  u."createdAt" = u."updatedAt"
           FROM "User" u JOIN "Session" s ON s."userId" = u.id)");
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0][0], "alice@example.com");
    EXPECT_THAT(*rows[0][1], ::testing::StartsWith("$argon2id$v=19$m=8192,t=1,p=1$"));
    EXPECT_EQ(rows[0][2], "USER");
    EXPECT_EQ(rows[0][3], "t");
    EXPECT_EQ(rows[0][4], sha256_hex(refresh_token));
    EXPECT_EQ(rows[0][5], "t");
    EXPECT_EQ(rows[0][6], "t");
    EXPECT_THAT(server_->output(), Not(HasSubstr(kPassword)));
    EXPECT_THAT(server_->output(), Not(HasSubstr(refresh_token)));
}

TEST_F(AuthApi, DuplicateEmailInAnyCaseIs409) {
    start();
    ASSERT_EQ(register_user("bob@example.com").status, 201);
    expect_error(register_user("BOB@example.com"), 409, "Email already registered", "EMAIL_TAKEN");
}

TEST_F(AuthApi, ConcurrentRegistrationsOfOneEmailYieldOneUserAndFive409s) {
    start();
    std::vector<HttpResponse> answers(6);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < answers.size(); ++i) {
        threads.emplace_back([&, i] { answers[i] = register_user("race@example.com"); });
    }
    for (auto& t : threads) t.join();
    int created = 0;
    int taken = 0;
    for (const auto& r : answers) {
        if (r.status == 201) {
            ++created;
        } else {
            // Anything else (a 500 from the unique index, a 503) is a failure, not a 409.
            expect_error(r, 409, "Email already registered", "EMAIL_TAKEN");
            taken += r.status == 409 ? 1 : 0;
        }
    }
    EXPECT_EQ(created, 1);
    EXPECT_EQ(taken, 5);
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "User")"), "1");
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "Session")"), "1");
}

TEST_F(AuthApi, ValidationFailuresCarryZodShapedDetails) {
    start();
    const auto bad = register_user("not-an-email", "short");
    EXPECT_EQ(bad.status, 400);
    const auto body = parse_object(bad.body);
    EXPECT_EQ(body.at("error").as_object().at("code").as_string(), "VALIDATION");
    EXPECT_EQ(body.at("error").as_object().at("message").as_string(), "Invalid request payload");
    const auto& details = body.at("error").as_object().at("details").as_array();
    ASSERT_EQ(details.size(), 3u) << bad.body;
    EXPECT_EQ(details[0].as_object().at("format").as_string(), "email");
    EXPECT_EQ(details[1].as_object().at("code").as_string(), "too_small");
    EXPECT_EQ(details[2].as_object().at("format").as_string(), "regex");

    const auto missing = post("/auth/login", R"({"email":"a@b.co"})");
    EXPECT_EQ(missing.status, 400);
    EXPECT_THAT(missing.body,
                HasSubstr(R"("message":"Invalid input: expected string, received undefined")"));
    EXPECT_EQ(post("/auth/refresh", "{}").status, 400);
    EXPECT_EQ(post("/auth/logout", R"({"refreshToken":12345678901234567890123})").status, 400);
    const auto not_object = post("/auth/login", "[1]");
    EXPECT_THAT(not_object.body, HasSubstr("expected object, received array"));
}

TEST_F(AuthApi, ProductionLeavesValidationDetailsOut) {
    start({{"APP_ENV", "production"},
           {"CORS_ORIGINS", "https://app.example"},
           {"RATE_LIMIT_REDIS_URL", require_redis()}});
    const auto r = register_user("bad", "x");
    EXPECT_EQ(r.status, 400);
    EXPECT_EQ(r.body, R"({"error":{"message":"Invalid request payload","code":"VALIDATION"}})");
}

// The answers only: that both cost the same time is measured by bench/run.sh's login timing row
// (bench/README.md), never by a timed test.
TEST_F(AuthApi, WrongPasswordAndUnknownEmailGetTheSameAnswer) {
    start();
    signed_up("carol@example.com");
    const auto wrong = login("carol@example.com", "Wrong-Passw0rd!");
    const auto unknown = login("nobody@example.com", "Wrong-Passw0rd!");
    expect_error(wrong, 401, "Invalid credentials", "INVALID_CREDENTIALS");
    expect_error(unknown, 401, "Invalid credentials", "INVALID_CREDENTIALS");
    // Same headers too, but for the ones that differ per request anyway.
    auto stable_headers = [](const HttpResponse& r) {
        auto headers = r.headers;
        std::erase_if(headers, [](const auto& h) {
            return h.first == "x-request-id" || h.first == "date" ||
                   h.first == "ratelimit-remaining" || h.first == "ratelimit-reset";
        });
        return headers;
    };
    EXPECT_EQ(stable_headers(wrong), stable_headers(unknown));
    const auto ok = login("CAROL@example.com");
    EXPECT_EQ(ok.status, 200) << ok.body;
    EXPECT_THAT(ok.body, ::testing::StartsWith(R"({"accessToken":")"));
}

TEST_F(AuthApi, LockoutIsPerEmailAndIpAndEndsWhenTheLockExpires) {
    start({{"AUTH_LOGIN_MAX_ATTEMPTS", "3"}});
    signed_up("dave@example.com");
    for (int i = 0; i < 3; ++i) {
        expect_error(login("dave@example.com", "Wrong-Passw0rd!"), 401, "Invalid credentials",
                     "INVALID_CREDENTIALS");
    }
    // Locked: even the right password is refused, before it is checked.
    expect_error(login("dave@example.com"), 429, "Too many login attempts. Try again later.",
                 "LOGIN_LOCKED");
    EXPECT_EQ(db_->query_scalar(R"(SELECT "failCount"::text FROM "LoginAttempt")"), "3");
    // Another client IP (through the trusted loopback proxy) is not locked.
    EXPECT_EQ(login("dave@example.com", kPassword, {{"X-Forwarded-For", "198.51.100.20"}}).status,
              200);
    // Unknown emails are tracked the same way.
    for (int i = 0; i < 3; ++i) login("ghost@example.com", "Wrong-Passw0rd!");
    EXPECT_EQ(login("ghost@example.com", "Wrong-Passw0rd!").status, 429);

    db_->exec(
        R"(UPDATE "LoginAttempt" SET "lockedUntil" = now() at time zone 'utc' - interval '1 second')");
    EXPECT_EQ(login("dave@example.com").status, 200);
    EXPECT_EQ(
        db_->query_scalar(
            R"(SELECT count(*)::text FROM "LoginAttempt" WHERE "emailLowercase" = 'dave@example.com')"),
        "0");
}

TEST_F(AuthApi, ConcurrentFailuresNeverProduceA500) {
    start({{"AUTH_LOGIN_MAX_ATTEMPTS", "50"}});
    std::atomic<int> unexpected{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&] {
            if (login("racer@example.com", "Wrong-Passw0rd!").status != 401) ++unexpected;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(unexpected.load(), 0);
    EXPECT_EQ(db_->query_scalar(R"(SELECT "failCount"::text FROM "LoginAttempt")"), "8");
}

TEST_F(AuthApi, RefreshRotatesAndReplayRevokesEverySession) {
    start();
    auto [access, first_refresh, user_id] = signed_up("erin@example.com");
    const auto second_login = parse_object(login("erin@example.com").body);

    const auto rotated = refresh(first_refresh);
    ASSERT_EQ(rotated.status, 200) << rotated.body;
    const auto pair = parse_object(rotated.body);
    EXPECT_NE(str(pair, "refreshToken"), first_refresh);
    EXPECT_EQ(db_->query_scalar("SELECT count(*)::text FROM \"Session\""), "2");

    expect_error(refresh(first_refresh), 401, "Invalid token", "REFRESH_REUSE");
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*)::text FROM "Session" WHERE valid)"), "0");
    expect_error(refresh(str(pair, "refreshToken")), 401, "Invalid session", "SESSION_INVALID");
    expect_error(get_as("/auth/sessions", str(second_login, "accessToken")), 401, "Invalid session",
                 "SESSION_INVALID");
}

TEST_F(AuthApi, FiftyConcurrentRefreshesWithOneTokenYieldExactlyOneSuccess) {
    start();
    auto [access, refresh_token, user_id] = signed_up("frank@example.com");
    std::atomic<int> ok{0}, other{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 50; ++i) {
        threads.emplace_back([&, token = refresh_token] {
            const auto r = refresh(token);
            if (r.status == 200)
                ++ok;
            else if (r.status == 401)
                ++other;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 1);
    EXPECT_EQ(other.load(), 49);
}

TEST_F(AuthApi, LogoutRevokesOnlyWithTheCurrentTokenAndAlwaysAnswers204) {
    start();
    auto [access, refresh_token, user_id] = signed_up("gina@example.com");
    const auto rotated = parse_object(refresh(refresh_token).body);
    // A rotated-out token does not end the session (decisions B.8).
    EXPECT_EQ(post("/auth/logout", R"({"refreshToken":")" + refresh_token + R"("})").status, 204);
    EXPECT_EQ(get_as("/auth/sessions", access).status, 200);
    EXPECT_EQ(post("/auth/logout", R"({"refreshToken":"garbage-garbage-garbage"})").status, 204);

    EXPECT_EQ(post("/auth/logout", R"({"refreshToken":")" + str(rotated, "refreshToken") + R"("})")
                  .status,
              204);
    expect_error(get_as("/auth/sessions", access), 401, "Invalid session", "SESSION_INVALID");
    EXPECT_EQ(db_->query_scalar(R"(SELECT token FROM "Session")"), "");
}

TEST_F(AuthApi, SessionsListMarksTheCurrentOneAndLogoutAllEndsThemAll) {
    start();
    auto [access, refresh_token, user_id] = signed_up("hank@example.com");
    ASSERT_EQ(login("hank@example.com").status, 200);
    const auto listed = get_as("/auth/sessions", access);
    ASSERT_EQ(listed.status, 200) << listed.body;
    const auto body = parse_object(listed.body);
    const auto& sessions = body.at("sessions").as_array();
    EXPECT_EQ(body.at("count").as_int64(), 2);
    int current = 0;
    for (const auto& s : sessions) {
        current += s.as_object().at("current").as_bool() ? 1 : 0;
        EXPECT_EQ(s.as_object().size(), 5u);
    }
    EXPECT_EQ(current, 1);
    // Newest first.
    EXPECT_GE(str(sessions[0].as_object(), "createdAt"), str(sessions[1].as_object(), "createdAt"));

    EXPECT_EQ(post("/auth/logout-all", "", {{"Authorization", "Bearer " + access}}).status, 204);
    expect_error(get_as("/auth/sessions", access), 401, "Invalid session", "SESSION_INVALID");
    EXPECT_EQ(refresh(refresh_token).status, 401);
    expect_error(get(port(), "/auth/sessions"), 401, "Unauthorized", "UNAUTHORIZED");
    expect_error(post("/auth/logout-all", ""), 401, "Unauthorized", "UNAUTHORIZED");
}

TEST_F(AuthApi, ProtectedUserRulesForOwnerOthersAndAdmins) {
    start();
    auto [alice, alice_refresh, alice_id] = signed_up("alice@example.com");
    auto [bob, bob_refresh, bob_id] = signed_up("bob@example.com");
    const std::string missing_id = "3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f";

    const auto own = get_as("/protected/users/" + alice_id, alice);
    ASSERT_EQ(own.status, 200) << own.body;
    EXPECT_EQ(own.body, R"({"user":{"id":")" + alice_id +
                            R"(","email":"alice@example.com","role":"USER"},"owner":true})");
    expect_error(get_as("/protected/users/" + bob_id, alice), 403, "Forbidden", "FORBIDDEN");
    // No existence probing (decisions B.9).
    expect_error(get_as("/protected/users/" + missing_id, alice), 403, "Forbidden", "FORBIDDEN");
    const auto bad_id = get_as("/protected/users/not-a-uuid", alice);
    EXPECT_EQ(bad_id.status, 400);
    EXPECT_THAT(bad_id.body, HasSubstr(R"("format":"uuid")"));
    // Authentication comes first, even for a malformed id.
    expect_error(get(port(), "/protected/users/not-a-uuid"), 401, "Unauthorized", "UNAUTHORIZED");
    const auto undecodable = get_as("/protected/users/%E0%A4%A", alice);
    EXPECT_EQ(undecodable.status, 400);

    expect_error(get_as("/protected/admin/ping", alice), 403, "Forbidden", "FORBIDDEN");
    db_->exec(R"(UPDATE "User" SET role = 'ADMIN' WHERE email = 'alice@example.com')");
    // Roles are read per request: no new token needed.
    EXPECT_EQ(get_as("/protected/admin/ping", alice).body, R"({"status":"ok"})");
    const auto admin_view = get_as("/protected/users/" + bob_id, alice);
    EXPECT_EQ(admin_view.status, 200);
    EXPECT_THAT(admin_view.body, HasSubstr(R"("owner":false)"));
    expect_error(get_as("/protected/users/" + missing_id, alice), 404, "User not found",
                 "USER_NOT_FOUND");
    const auto unauthenticated = get(port(), "/protected/admin/ping");
    expect_error(unauthenticated, 401, "Unauthorized", "UNAUTHORIZED");
}

TEST_F(AuthApi, BrokenTokensAreRejected) {
    // exp = floor(iat) + 3: valid for at least 2 s after issue.
    start({{"JWT_ACCESS_EXPIRY", "3s"}});
    auto [access, refresh_token, user_id] = signed_up("ivy@example.com");
    std::string tampered = access;
    tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
    expect_error(get_as("/auth/sessions", tampered), 401, "Invalid access token",
                 "JWT_ACCESS_INVALID");
    expect_error(get_as("/auth/sessions", refresh_token), 401, "Invalid access token",
                 "JWT_ACCESS_INVALID");
    const std::string alg_none =
        "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0." +
        access.substr(access.find('.') + 1, access.rfind('.') - access.find('.'));
    expect_error(get_as("/auth/sessions", alg_none), 401, "Invalid access token",
                 "JWT_ACCESS_INVALID");
    expect_error(get(port(), "/auth/sessions", {{"Authorization", "Basic abc"}}), 401,
                 "Unauthorized", "UNAUTHORIZED");
    // The scheme name is case-insensitive (decisions E.2, RFC 9110 section 11.1).
    EXPECT_EQ(get(port(), "/auth/sessions", {{"Authorization", "bearer " + access}}).status, 200);
    EXPECT_EQ(get_as("/auth/sessions", access).status, 200);
    expect_error(refresh(access), 401, "Invalid refresh token", "JWT_REFRESH_INVALID");

    // Expiry is a wall-clock behavior: the token must work until the clock reaches its `exp` and
    // be refused from then on. Both processes read the same system clock, so every answer is
    // checked against the moment it was asked and answered.
    const auto exp = expiry_of(access);
    for (;;) {
        const auto asked = std::chrono::system_clock::now();
        const auto r = get_as("/auth/sessions", access);
        const auto answered = std::chrono::system_clock::now();
        if (r.status == 200) {
            ASSERT_LT(asked, exp) << "accepted although asked after its exp";
            std::this_thread::sleep_for(20ms);
            continue;
        }
        expect_error(r, 401, "Invalid access token", "JWT_ACCESS_INVALID");
        EXPECT_GE(answered, exp) << "refused before its exp";
        EXPECT_LT(asked, exp + 1s) << "refused late";
        break;
    }
}

TEST_F(AuthApi, ExpiredRefreshTokenEndsItsSession) {
    start({{"JWT_REFRESH_EXPIRY", "1s"}});
    auto [access, refresh_token, user_id] = signed_up("jack@example.com");
    // Expiry is a wall-clock behavior: wait for the token's own `exp`, no longer.
    std::this_thread::sleep_until(expiry_of(refresh_token));
    expect_error(refresh(refresh_token), 401, "Refresh token expired", "SESSION_EXPIRED");
    EXPECT_EQ(db_->query_scalar(R"(SELECT valid::text FROM "Session")"), "false");
}

TEST_F(AuthApi, AuthenticatedRequestsNameTheUserInTheRequestLog) {
    start();
    auto [access, refresh_token, user_id] = signed_up("kate@example.com");
    get(port(), "/auth/sessions",
        {{"Authorization", "Bearer " + access}, {"X-Request-Id", "who-1"}});
    get(port(), "/health", {{"Authorization", "Bearer " + access}, {"X-Request-Id", "who-2"}});
    for (const char* id : {"who-1", "who-2"}) {
        const auto line = server_->wait_for_line([&](const boost::json::value& v) {
            return json_string_at(v, {"req", "id"}) == id;
        });
        ASSERT_TRUE(line) << id;
        EXPECT_EQ(json_string_at(*line, {"userId"}), user_id) << id;
        EXPECT_EQ(json_string_at(*line, {"req", "headers", "authorization"}), "[REDACTED]");
    }
    EXPECT_THAT(server_->output(), Not(HasSubstr(access)));
}

TEST_F(AuthApi, AuthEventsReachTheMetrics) {
    start({{"AUTH_LOGIN_MAX_ATTEMPTS", "2"}});
    auto [access, refresh_token, user_id] = signed_up("lena@example.com");
    EXPECT_EQ(login("lena@example.com").status, 200);
    login("lena@example.com", "Wrong-Passw0rd!");
    login("lena@example.com", "Wrong-Passw0rd!");  // sets the lock
    EXPECT_EQ(login("lena@example.com").status, 429);
    refresh(refresh_token);
    refresh(refresh_token);  // reuse
    const auto text = get(port(), "/metrics").body;
    EXPECT_THAT(text, HasSubstr("portcullis_logins_total{outcome=\"success\"} 1"));
    EXPECT_THAT(text, HasSubstr("portcullis_logins_total{outcome=\"invalid_credentials\"} 2"));
    EXPECT_THAT(text, HasSubstr("portcullis_logins_total{outcome=\"locked\"} 1"));
    EXPECT_THAT(text, HasSubstr("portcullis_lockouts_total 1"));
    EXPECT_THAT(text, HasSubstr("portcullis_refresh_reuse_detected_total 1"));
    EXPECT_THAT(text, HasSubstr("portcullis_password_hash_queue_depth 0"));
}

// A database written by the reference: its Argon2id p=4 hash and its refresh token (with the
// same secrets) keep working after the swap.
TEST_F(AuthApi, ReferenceRowsAndTokensKeepWorking) {
    std::ifstream argon2_file(std::string(PORTCULLIS_SOURCE_DIR) + "/tests/vectors/argon2.json");
    std::ifstream jwt_file(std::string(PORTCULLIS_SOURCE_DIR) + "/tests/vectors/jwt.json");
    std::stringstream a, j;
    a << argon2_file.rdbuf();
    j << jwt_file.rdbuf();
    const auto argon2 = boost::json::parse(a.str()).as_object();
    const auto jwt = boost::json::parse(j.str()).as_object();
    const auto& hash_vector = argon2.at("vectors").as_array()[0].as_object();
    const auto& tokens = jwt.at("tokens").as_array();
    const std::string access_token(tokens[0].as_object().at("token").as_string());
    const std::string refresh_token(tokens[1].as_object().at("token").as_string());
    const std::string user_id = "3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f";
    const std::string session_id = "9a8b7c6d-5e4f-4a3b-2c1d-0e1f2a3b4c5d";

    start({{"JWT_ACCESS_SECRET", std::string(jwt.at("access_secret").as_string())},
           {"JWT_REFRESH_SECRET", std::string(jwt.at("refresh_secret").as_string())}});
    db_->exec(
        R"(INSERT INTO "User" (id, email, password, "createdAt", "updatedAt", "emailVerifiedAt")
                 VALUES (')" +
        user_id + R"(', 'legacy@example.com', ')" +
        std::string(hash_vector.at("hash").as_string()) +
        R"(', '2026-01-01 00:00:00.000', '2026-01-01 00:00:00.000', '2026-01-01 00:00:00.000');
                 INSERT INTO "Session" (id, "userId", token, valid, "createdAt", "updatedAt")
                 VALUES (')" +
        session_id + "', '" + user_id + "', '" + sha256_hex(refresh_token) +
        // Used now: a session idle for longer than the refresh TTL is expired, and the session
        // cleanup round at start may delete it at any moment.
        R"(', true, now() AT TIME ZONE 'UTC', now() AT TIME ZONE 'UTC');)");

    EXPECT_EQ(get_as("/protected/users/" + user_id, access_token).status, 200);
    EXPECT_EQ(
        login("legacy@example.com", std::string(hash_vector.at("password").as_string())).status,
        200);
    const auto rotated = refresh(refresh_token);
    EXPECT_EQ(rotated.status, 200) << rotated.body;
    EXPECT_EQ(refresh(refresh_token).status, 401);  // rotated out now
}

TEST(AuthOutage, RequestsDuringADatabaseOutageGet503Quickly) {
    PrivatePostgres postgres;
    auto env = base_env();
    env["DATABASE_URL"] = postgres.url();
    env["DATABASE_STATEMENT_TIMEOUT_MS"] = "1500";
    env["AUTH_ARGON2_MEMORY_KIB"] = "8192";
    env["AUTH_ARGON2_ITERATIONS"] = "1";
    ServerProcess server(env, {"serve", "--migrate"});
    ASSERT_TRUE(server.wait_healthy(30s)) << server.output();
    ASSERT_EQ(post_json(server.port(), "/auth/register",
                        R"({"email":"outage@example.com","password":"Str0ng!Passw0rd"})")
                  .status,
              201);
    postgres.stop();
    const auto start = std::chrono::steady_clock::now();
    const auto r = post_json(server.port(), "/auth/login",
                             R"({"email":"outage@example.com","password":"Str0ng!Passw0rd"})");
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.body,
              R"({"error":{"message":"Database unavailable","code":"DATABASE_UNAVAILABLE"}})");
    EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
    // The failure is logged for operators, and the database password is not (decisions B.3).
    const auto logged = server.wait_for_line([](const boost::json::value& v) {
        return json_string_at(v, {"msg"}) == "Dependency unavailable" &&
               json_string_at(v, {"code"}) == "DATABASE_UNAVAILABLE";
    });
    ASSERT_TRUE(logged) << server.output();
    EXPECT_THAT(server.output(), Not(HasSubstr(postgres.password())));
    postgres.start();
}

}  // namespace
}  // namespace portcullis::test
