// One-time tokens waiting in the email outbox are sealed (issue #18 item 10; design section 5): a
// copy of the database taken while emails are pending holds no usable token, yet every email is
// still delivered with a working token, by another replica too, and the column is erased once the
// email is sent. Rows an earlier release wrote in plain are still sent; a token sealed under a
// secret the server no longer has is replaced by a fresh one, so no email is lost.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <boost/json/value.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "http_client.hpp"
#include "server_process.hpp"
#include "sha256.hpp"
#include "test_database.hpp"

namespace portcullis::test {
namespace {
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

constexpr const char* kPassword = "Str0ng!Passw0rd";

std::string unique_email(const std::string& tag) {
    static int counter = 0;
    return tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000) +
           "@example.com";
}

std::string env_or_fail(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || *value == '\0') {
        throw std::runtime_error(std::string(name) +
                                 " is not set: run scripts/stack.sh start and source "
                                 ".local/stack.env");
    }
    return value;
}

// The tokens of the messages the harness's SMTP sink (a Maildir) received for `recipient`: the
// 43-character token stands alone on a line of each message.
std::vector<std::string> tokens_mailed_to(const std::string& recipient) {
    std::vector<std::string> tokens;
    const fs::path maildir = env_or_fail("PORTCULLIS_TEST_MAILDIR");
    const std::regex rcpt("(^|\\n)X-RcptTo: *" + recipient + "\\r?\\n", std::regex::icase);
    const std::regex token("(^|\\n)\\s*([A-Za-z0-9_-]{43})\\s*\\r?\\n");
    for (const char* sub : {"new", "cur"}) {
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(maildir / sub, ec)) {
            std::ifstream in(entry.path(), std::ios::binary);
            std::stringstream raw;
            raw << in.rdbuf();
            const std::string text = raw.str();
            std::smatch m;
            if (!std::regex_search(text, rcpt)) continue;
            if (std::regex_search(text, m, token)) tokens.push_back(m[2].str());
        }
    }
    return tokens;
}

std::vector<std::string> wait_for_tokens(const std::string& recipient, std::size_t count,
                                         std::chrono::milliseconds timeout = 20s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto tokens = tokens_mailed_to(recipient);
        if (tokens.size() >= count || std::chrono::steady_clock::now() >= deadline) return tokens;
        std::this_thread::sleep_for(50ms);
    }
}

// Whether `text` holds any 8-character run of `token` (48 bits of it: already far more than a
// dump should give away, and what a partial leak would show).
bool shares_a_run(const std::string& text, const std::string& token) {
    for (std::size_t i = 0; i + 8 <= token.size(); ++i) {
        if (text.find(token.substr(i, 8)) != std::string::npos) return true;
    }
    return false;
}

class OutboxTokens : public ::testing::Test {
protected:
    void SetUp() override { db_ = std::make_unique<TestDatabase>(); }

    Env env(const std::string& smtp_port, Env overrides = {}) const {
        Env e = base_env();
        e["DATABASE_URL"] = db_->url();
        e["AUTH_ARGON2_MEMORY_KIB"] = "8192";
        e["AUTH_ARGON2_ITERATIONS"] = "1";
        e["AUTH_EMAIL_VERIFICATION_REQUIRED"] = "true";
        e["SMTP_HOST"] = "127.0.0.1";
        e["SMTP_PORT"] = smtp_port;
        e["SMTP_FROM"] = "Portcullis <no-reply@example.com>";
        e["EMAIL_OUTBOX_POLL_INTERVAL_MS"] = "100";
        e["EMAIL_OUTBOX_RETRY_BASE_MS"] = "300";
        e["EMAIL_OUTBOX_RETRY_MAX_MS"] = "600";
        e["EMAIL_OUTBOX_MAX_ATTEMPTS"] = "1000";
        for (auto& [k, v] : overrides) e[k] = v;
        return e;
    }
    // A server whose SMTP port has no listener: every send fails and rows stay pending.
    Env env_without_smtp(Env overrides = {}) const {
        return env(std::to_string(free_port()), std::move(overrides));
    }
    Env env_with_sink(Env overrides = {}) const {
        return env(env_or_fail("PORTCULLIS_TEST_SMTP_PORT"), std::move(overrides));
    }
    ServerProcess& start(const Env& e) {
        servers_.push_back(
            std::make_unique<ServerProcess>(e, std::vector<std::string>{"serve", "--migrate"}));
        EXPECT_TRUE(servers_.back()->wait_healthy(30s)) << servers_.back()->output();
        return *servers_.back();
    }
    static void stop(ServerProcess& server) {
        server.signal(SIGTERM);
        EXPECT_EQ(server.wait_exit(20s), 0) << server.output();
    }

    // Waits until every outbox row holds a token and has failed at least once.
    void wait_all_pending_with_tokens(std::size_t rows) {
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (std::chrono::steady_clock::now() < deadline) {
            if (db_->query_scalar(R"(SELECT count(*) FROM "EmailOutbox" WHERE status = 'pending'
                                     AND token IS NOT NULL AND "lastError" IS NOT NULL)") ==
                std::to_string(rows)) {
                return;
            }
            std::this_thread::sleep_for(50ms);
        }
        ADD_FAILURE() << "outbox rows never reached pending-with-token: "
                      << db_->query_scalar(R"(SELECT string_agg(status || ':' ||
                             coalesce(left(token, 3), 'null'), ',') FROM "EmailOutbox")")
                             .value_or("none");
    }
    void wait_outbox_settled() {
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (std::chrono::steady_clock::now() < deadline) {
            if (db_->query_scalar(
                    R"(SELECT count(*) FROM "EmailOutbox" WHERE status = 'pending')") == "0") {
                return;
            }
            std::this_thread::sleep_for(50ms);
        }
        ADD_FAILURE() << "the outbox still has pending rows";
    }
    // What a dump of the tables that hold users, tokens and emails would show.
    std::string dump() const {
        std::string text;
        for (const char* table :
             {"User", "VerificationToken", "PasswordResetToken", "EmailOutbox"}) {
            text += db_->query_scalar(std::string(R"(SELECT coalesce(string_agg(t::text, E'\n'), '')
                                                     FROM ")") +
                                      table + R"(" t)")
                        .value_or("");
            text += '\n';
        }
        return text;
    }

    std::unique_ptr<TestDatabase> db_;
    std::vector<std::unique_ptr<ServerProcess>> servers_;
};

HttpResponse post(const ServerProcess& s, const std::string& path, const std::string& body) {
    return post_json(s.port(), path, body);
}

std::string credentials(const std::string& email, const std::string& password = kPassword) {
    return R"({"email":")" + email + R"(","password":")" + password + R"("})";
}

TEST_F(OutboxTokens, PendingRowsHoldNoUsableTokenAndEveryEmailStillWorks) {
    auto& first = start(env_without_smtp());
    const std::string verify = unique_email("sealed-verify");
    const std::string reset = unique_email("sealed-reset");
    ASSERT_EQ(post(first, "/auth/register", credentials(verify)).status, 201);
    ASSERT_EQ(post(first, "/auth/register", credentials(reset)).status, 201);
    ASSERT_EQ(post(first, "/auth/request-password-reset", R"({"email":")" + reset + R"("})").status,
              202);
    // Two verification tokens written by the requests, one reset token written by the sender.
    wait_all_pending_with_tokens(3);

    const std::string snapshot = dump();
    const auto rows =
        db_->query(R"(SELECT token, kind FROM "EmailOutbox" WHERE token IS NOT NULL)");
    ASSERT_EQ(rows.size(), 3u);
    for (const auto& row : rows) {
        const std::string stored = row[0].value_or("");
        EXPECT_THAT(stored, ::testing::MatchesRegex("v1:[A-Za-z0-9_-]{95}")) << *row[1];
        const std::string hash = sha256_hex(stored);
        EXPECT_EQ(db_->query_scalar(
                      R"(SELECT (SELECT count(*) FROM "VerificationToken" WHERE "tokenHash" = ')" +
                      hash + R"(') + (SELECT count(*) FROM "PasswordResetToken"
                                     WHERE "tokenHash" = ')" +
                      hash + "')"),
                  "0");
    }
    stop(first);

    // Another replica with the same secret delivers them.
    auto& second = start(env_with_sink());
    const auto verify_tokens = wait_for_tokens(verify, 1);
    ASSERT_EQ(verify_tokens.size(), 1u) << second.output();
    const auto reset_tokens = wait_for_tokens(reset, 2);  // its verification and its reset email
    ASSERT_EQ(reset_tokens.size(), 2u) << second.output();
    wait_outbox_settled();

    for (const auto& token : {verify_tokens[0], reset_tokens[0], reset_tokens[1]}) {
        EXPECT_FALSE(shares_a_run(snapshot, token)) << "the pending rows gave the token away";
        EXPECT_THAT(second.output(), Not(HasSubstr(token)));
    }
    // The mailed tokens are the ones sealed at request time (no replacement was issued), and
    // they work.
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "VerificationToken")"), "2");
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "PasswordResetToken")"), "1");
    EXPECT_EQ(
        post(second, "/auth/verify-email", R"({"token":")" + verify_tokens[0] + R"("})").status,
        204);
    const bool reset_first = db_->query_scalar(R"(SELECT "tokenHash" FROM "PasswordResetToken")") ==
                             sha256_hex(reset_tokens[0]);
    const std::string& reset_token = reset_tokens[reset_first ? 0 : 1];
    const std::string& reset_verify_token = reset_tokens[reset_first ? 1 : 0];
    EXPECT_EQ(
        post(second, "/auth/verify-email", R"({"token":")" + reset_verify_token + R"("})").status,
        204);
    EXPECT_EQ(post(second, "/auth/reset-password",
                   R"({"token":")" + reset_token + R"(","password":"N3w!Passw0rd-ok"})")
                  .status,
              204);
    EXPECT_EQ(post(second, "/auth/login", credentials(reset, "N3w!Passw0rd-ok")).status, 200);

    // Sent: nothing is left to decrypt.
    EXPECT_EQ(db_->query_scalar(R"(SELECT string_agg(DISTINCT status || ':' ||
                                   (token IS NULL)::text, ',') FROM "EmailOutbox")"),
              "sent:true");
}

// Rows written by a release that stored the token in plain (before the upgrade) are still sent.
TEST_F(OutboxTokens, PlainTokensFromAnEarlierReleaseAreStillSent) {
    auto& server = start(env_with_sink({{"AUTH_EMAIL_VERIFICATION_REQUIRED", "false"}}));
    const std::string email = unique_email("plain-row");
    ASSERT_EQ(post(server, "/auth/register", credentials(email)).status, 201);
    const std::string token = "PlainTokenFromAnEarlierRelease_0123456789ab";
    ASSERT_EQ(token.size(), 43u);
    db_->exec(R"(INSERT INTO "VerificationToken" (id, "userId", "tokenHash", "expiresAt")
                 SELECT gen_random_uuid()::text, id, ')" +
              sha256_hex(token) +
              R"(', (now() AT TIME ZONE 'UTC') + interval '1 hour' FROM "User";
                 INSERT INTO "EmailOutbox" (id, kind, email, "userId", token)
                 SELECT gen_random_uuid()::text, 'verification', email, id, ')" +
              token + R"(' FROM "User")");
    const auto tokens = wait_for_tokens(email, 1);
    ASSERT_EQ(tokens.size(), 1u) << server.output();
    EXPECT_EQ(tokens[0], token);
    wait_outbox_settled();
    EXPECT_EQ(db_->query_scalar(R"(SELECT status || ':' || (token IS NULL)::text
                                   FROM "EmailOutbox")"),
              "sent:true");
    EXPECT_EQ(post(server, "/auth/verify-email", R"({"token":")" + token + R"("})").status, 204);
}

// A token sealed under a secret the server no longer has (JWT_REFRESH_SECRET rotated while an
// email was pending) cannot be opened: the email goes out with a fresh token instead.
TEST_F(OutboxTokens, ATokenSealedUnderAnotherSecretIsReplacedNotLost) {
    auto& first = start(env_without_smtp());
    const std::string email = unique_email("rotated");
    ASSERT_EQ(post(first, "/auth/register", credentials(email)).status, 201);
    wait_all_pending_with_tokens(1);
    stop(first);

    auto& second = start(
        env_with_sink({{"JWT_REFRESH_SECRET", "rotated-refresh-secret-0123456789abcdef-0123"}}));
    const auto tokens = wait_for_tokens(email, 1);
    ASSERT_EQ(tokens.size(), 1u) << second.output();
    EXPECT_TRUE(second
                    .wait_for_line([](const boost::json::value& v) {
                        return json_string_at(v, {"msg"}) ==
                               "Email outbox token unreadable; issuing a new one";
                    })
                    .has_value())
        << second.output();
    wait_outbox_settled();
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "VerificationToken"
                                   WHERE "usedAt" IS NULL)"),
              "1")
        << "the unreadable token was voided, the fresh one is live";
    EXPECT_EQ(post(second, "/auth/verify-email", R"({"token":")" + tokens[0] + R"("})").status,
              204);
}

}  // namespace
}  // namespace portcullis::test
