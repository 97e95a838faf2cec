// Email verification and password reset over SMTP with the durable outbox (contract 4.3, 5.6, 8;
// decisions B.7, B.10, B.12, C.1, C.2): tokens are read from the emails an aiosmtpd sink received,
// never from the database; an SMTP outage and two replicas still deliver every email exactly once.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "harness.hpp"
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
constexpr const char* kNewPassword = "N3w!Passw0rd-ok";

std::string lower(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

// A unique address per call, so tests sharing the harness's sink never see each other's mail.
std::string unique_email(const std::string& tag) {
    static int counter = 0;
    return tag + "-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" +
           std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 1000000) +
           "@example.com";
}

std::string decode_quoted_printable(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '=') {
            out.push_back(text[i]);
            continue;
        }
        if (i + 2 < text.size() && text[i + 1] == '\r' && text[i + 2] == '\n') {
            i += 2;  // soft line break
        } else if (i + 1 < text.size() && text[i + 1] == '\n') {
            i += 1;
        } else if (i + 2 < text.size()) {
            out.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
            i += 2;
        }
    }
    return out;
}

// One received message, split into headers and its multipart/alternative parts (decoded).
struct Mail {
    std::map<std::string, std::string> headers;  // lower-case names, first occurrence
    std::string text;
    std::string html;
    std::string raw;
};

std::string header_value(const std::string& block, const std::string& name) {
    std::istringstream in(block);
    std::string value;
    bool found = false;
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (found && !line.empty() && (line[0] == ' ' || line[0] == '\t')) {
            value += line;  // folded continuation
            continue;
        }
        if (found) break;
        const auto colon = line.find(':');
        if (colon != std::string::npos && lower(line.substr(0, colon)) == name) {
            value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            found = true;
        }
    }
    return value;
}

Mail parse_mail(const std::string& raw) {
    Mail mail;
    mail.raw = raw;
    const auto header_end =
        raw.find("\n\n") != std::string::npos && (raw.find("\r\n\r\n") == std::string::npos ||
                                                  raw.find("\n\n") < raw.find("\r\n\r\n"))
            ? raw.find("\n\n")
            : raw.find("\r\n\r\n");
    const std::string head = raw.substr(0, header_end);
    for (const char* name : {"from", "to", "subject", "date", "message-id", "mime-version",
                             "content-type", "x-rcptto", "x-mailfrom"}) {
        mail.headers[name] = header_value(head, name);
    }
    std::smatch m;
    const std::string& type = mail.headers["content-type"];
    if (!std::regex_search(type, m, std::regex("boundary=\"([^\"]+)\""))) return mail;
    const std::string boundary = "--" + m[1].str();
    std::size_t at = raw.find(boundary, header_end);
    while (at != std::string::npos) {
        const std::size_t start = raw.find('\n', at) + 1;
        const std::size_t next = raw.find(boundary, start);
        if (next == std::string::npos) break;
        const std::string part = raw.substr(start, next - start);
        const auto split =
            part.find("\n\n") != std::string::npos && (part.find("\r\n\r\n") == std::string::npos ||
                                                       part.find("\n\n") < part.find("\r\n\r\n"))
                ? part.find("\n\n") + 2
                : part.find("\r\n\r\n") + 4;
        const std::string part_head = part.substr(0, split);
        std::string body = part.substr(split);
        if (lower(header_value(part_head, "content-transfer-encoding")) == "quoted-printable") {
            body = decode_quoted_printable(body);
        }
        const std::string part_type = lower(header_value(part_head, "content-type"));
        if (part_type.starts_with("text/plain")) mail.text = body;
        if (part_type.starts_with("text/html")) mail.html = body;
        at = next;
    }
    return mail;
}

// The raw 43-character token standing alone on a line of `body`.
std::string token_in(const std::string& body) {
    std::smatch m;
    if (std::regex_search(body, m, std::regex("(^|\\n)\\s*([A-Za-z0-9_-]{43})\\s*(\\r?\\n|$)"))) {
        return m[2].str();
    }
    return {};
}

// Every message in `maildir` addressed to `recipient` (aiosmtpd records the envelope in X-RcptTo).
std::vector<Mail> mails_to(const std::string& maildir, const std::string& recipient) {
    std::vector<Mail> out;
    for (const char* sub : {"new", "cur"}) {
        const fs::path dir = fs::path(maildir) / sub;
        std::error_code ec;
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            const std::string raw = read_file(entry.path());
            Mail mail = parse_mail(raw);
            if (lower(mail.headers["x-rcptto"]) == lower(recipient) ||
                lower(mail.headers["to"]) == lower(recipient)) {
                out.push_back(std::move(mail));
            }
        }
    }
    return out;
}

// Polls until `count` messages reached `recipient` or `timeout` passes.
std::vector<Mail> wait_for_mails(const std::string& maildir, const std::string& recipient,
                                 std::size_t count, std::chrono::milliseconds timeout = 15s) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto mails = mails_to(maildir, recipient);
        if (mails.size() >= count || std::chrono::steady_clock::now() >= deadline) return mails;
        std::this_thread::sleep_for(50ms);
    }
}

// A private aiosmtpd on its own port and Maildir, for tests that stop and restart it.
class SmtpSink {
public:
    SmtpSink() : port_(free_port()) {
        char templ[] = "/tmp/portcullis-smtp-XXXXXX";
        if (::mkdtemp(templ) == nullptr) throw std::runtime_error("mkdtemp failed");
        dir_ = templ;
        for (const char* sub : {"tmp", "new", "cur"}) fs::create_directories(fs::path(dir_) / sub);
    }
    ~SmtpSink() {
        stop();
        std::error_code ec;
        fs::remove_all(dir_, ec);
    }
    SmtpSink(const SmtpSink&) = delete;
    SmtpSink& operator=(const SmtpSink&) = delete;

    void start() {
        const std::string listen = "127.0.0.1:" + std::to_string(port_);
        pid_ = ::fork();
        if (pid_ == 0) {
            const std::string log = dir_ + "/sink.log";
            std::FILE* f = std::freopen(log.c_str(), "a", stdout);
            (void)f;
            ::dup2(1, 2);
            ::execl("/usr/bin/python3", "python3", "-m", "aiosmtpd", "-n", "-l", listen.c_str(),
                    "-c", "aiosmtpd.handlers.Mailbox", dir_.c_str(), static_cast<char*>(nullptr));
            ::_exit(127);
        }
        // Ready when an SMTP greeting arrives.
        const auto deadline = std::chrono::steady_clock::now() + 20s;
        while (std::chrono::steady_clock::now() < deadline) {
            try {
                Connection probe("127.0.0.1", port_);
                return;
            } catch (const std::exception&) {
                std::this_thread::sleep_for(50ms);
            }
        }
        throw std::runtime_error("aiosmtpd did not start on " + listen);
    }
    void stop() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        int status = 0;
        ::waitpid(pid_, &status, 0);
        pid_ = -1;
    }
    std::uint16_t port() const { return port_; }
    const std::string& maildir() const { return dir_; }

private:
    std::uint16_t port_;
    std::string dir_;
    pid_t pid_ = -1;
};

// The value of an unlabelled sample in a Prometheus exposition; -1 when it is missing.
long long metric(const std::string& exposition, const std::string& name) {
    std::istringstream in(exposition);
    for (std::string line; std::getline(in, line);) {
        if (line.starts_with(name + " ")) return std::stoll(line.substr(name.size() + 1));
    }
    return -1;
}

std::string str(const boost::json::object& o, const char* key) {
    return std::string(o.at(key).as_string());
}

// Every 43-character base64url run in `text` whose SHA-256 is one of `hashes`.
std::vector<std::string> leaked_tokens(const std::string& text,
                                       const std::set<std::string>& hashes) {
    std::vector<std::string> leaked;
    const std::regex run("[A-Za-z0-9_-]{43,}");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), run);
         it != std::sregex_iterator(); ++it) {
        const std::string s = it->str();
        for (std::size_t i = 0; i + 43 <= s.size(); ++i) {
            if (hashes.count(sha256_hex(s.substr(i, 43))) > 0) leaked.push_back(s.substr(i, 43));
        }
    }
    return leaked;
}

class EmailFlows : public ::testing::Test {
protected:
    void SetUp() override { db_ = std::make_unique<TestDatabase>(); }

    // The harness's shared sink (scripts/stack.sh).
    static std::string shared_maildir() { return require_smtp().maildir; }

    Env env_for(const std::string& smtp_port, Env overrides = {},
                const std::string& smtp_host = "127.0.0.1") const {
        Env env = base_env();
        env["DATABASE_URL"] = db_->url();
        env["AUTH_ARGON2_MEMORY_KIB"] = "8192";
        env["AUTH_ARGON2_ITERATIONS"] = "1";
        env["SMTP_HOST"] = smtp_host;
        env["SMTP_PORT"] = smtp_port;
        env["SMTP_FROM"] = "Portcullis <no-reply@example.com>";
        env["EMAIL_OUTBOX_POLL_INTERVAL_MS"] = "100";
        env["EMAIL_OUTBOX_RETRY_BASE_MS"] = "500";
        env["EMAIL_OUTBOX_RETRY_MAX_MS"] = "2000";
        env["RATE_LIMIT_RPM"] = "1000000";
        env["RATE_LIMIT_RPM_AUTH"] = "100000";
        env["RATE_LIMIT_RPM_AUTH_REGISTER"] = "100000";
        env["RATE_LIMIT_RPM_AUTH_PASSWORD_RESET"] = "100000";
        for (auto& [k, v] : overrides) env[k] = v;
        return env;
    }

    // A server against the shared sink.
    ServerProcess& start(Env overrides = {}) {
        const SmtpSinkAddress sink = require_smtp();
        return start_with(env_for(sink.port, std::move(overrides), sink.host));
    }
    ServerProcess& start_with(const Env& env) {
        servers_.push_back(
            std::make_unique<ServerProcess>(env, std::vector<std::string>{"serve", "--migrate"}));
        EXPECT_TRUE(servers_.back()->wait_healthy(30s)) << servers_.back()->output();
        return *servers_.back();
    }

    HttpResponse post(const ServerProcess& s, const std::string& path, const std::string& body) {
        return post_json(s.port(), path, body);
    }
    HttpResponse register_user(const ServerProcess& s, const std::string& email,
                               const std::string& password = kPassword) {
        return post(s, "/auth/register",
                    R"({"email":")" + email + R"(","password":")" + password + R"("})");
    }
    HttpResponse login(const ServerProcess& s, const std::string& email,
                       const std::string& password = kPassword) {
        return post(s, "/auth/login",
                    R"({"email":")" + email + R"(","password":")" + password + R"("})");
    }
    void expect_error(const HttpResponse& r, int status, const std::string& message,
                      const std::string& code) {
        EXPECT_EQ(r.status, status) << r.body;
        EXPECT_EQ(r.body, R"({"error":{"message":")" + message + R"(","code":")" + code + R"("}})");
    }
    void expect_validation(const HttpResponse& r) {
        EXPECT_EQ(r.status, 400) << r.body;
        EXPECT_THAT(r.body,
                    ::testing::StartsWith(
                        R"({"error":{"message":"Invalid request payload","code":"VALIDATION")"));
    }
    // Waits until the outbox has no pending row (every request resolved, sent or skipped). From
    // then on the mail counts are final: only pending rows are ever claimed, and a row is marked
    // sent only after the sink answered 250, which aiosmtpd does after storing the message. So a
    // duplicate or a late delivery of anything queued so far would already be in the Maildir.
    void wait_outbox_settled(std::chrono::milliseconds timeout = 15s) {
        const auto deadline = std::chrono::steady_clock::now() + timeout;
        while (std::chrono::steady_clock::now() < deadline) {
            if (db_->query_scalar(
                    R"(SELECT count(*) FROM "EmailOutbox" WHERE status = 'pending')") == "0") {
                return;
            }
            std::this_thread::sleep_for(50ms);
        }
        ADD_FAILURE() << "the outbox still has pending rows";
    }

    std::unique_ptr<TestDatabase> db_;
    std::vector<std::unique_ptr<ServerProcess>> servers_;
};

TEST_F(EmailFlows, VerificationEmailCarriesTheTokenAndVerifiesOnce) {
    auto& server = start({{"AUTH_EMAIL_VERIFICATION_REQUIRED", "true"},
                          {"AUTH_EMAIL_VERIFICATION_TTL_MINUTES", "90"},
                          {"SMTP_FROM", "Pörtcullis Tëam <no-reply@example.com>"}});
    const std::string email = unique_email("verify");
    const auto r = register_user(server, email);
    ASSERT_EQ(r.status, 201) << r.body;
    EXPECT_EQ(r.body, R"({"emailVerificationRequired":true})");

    // Contract 5.7: an unverified login is a failure like a wrong password, and is counted.
    expect_error(login(server, email), 401, "Invalid credentials", "INVALID_CREDENTIALS");
    EXPECT_EQ(db_->query_scalar(R"(SELECT "failCount"::text FROM "LoginAttempt")"), "1");

    const auto mails = wait_for_mails(shared_maildir(), email, 1);
    ASSERT_EQ(mails.size(), 1u);
    const Mail& mail = mails[0];
    EXPECT_EQ(mail.headers.at("subject"), "Verify your email address");
    EXPECT_EQ(mail.headers.at("from"),
              "=?UTF-8?B?UMO2cnRjdWxsaXMgVMOrYW0=?= <no-reply@example.com>");
    EXPECT_EQ(mail.headers.at("x-mailfrom"), "no-reply@example.com") << "bare envelope sender";
    EXPECT_EQ(mail.headers.at("to"), email);
    EXPECT_THAT(mail.headers.at("message-id"), ::testing::MatchesRegex("<.+@example\\.com>"));
    EXPECT_THAT(mail.headers.at("date"),
                ::testing::MatchesRegex("[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} "
                                        "[0-9]{2}:[0-9]{2}:[0-9]{2} \\+0000"));
    EXPECT_THAT(mail.headers.at("content-type"), HasSubstr("multipart/alternative"));
    const std::string token = token_in(mail.text);
    ASSERT_EQ(token.size(), 43u) << mail.raw;
    EXPECT_EQ(token_in(mail.html), token);
    EXPECT_THAT(mail.text, HasSubstr("Verify Your Email"));
    EXPECT_THAT(mail.text, HasSubstr("expires in 90 minutes")) << "the real TTL (B.12)";
    EXPECT_THAT(mail.html, HasSubstr("expires in 90 minutes"));
    EXPECT_THAT(mail.html, HasSubstr("automated"));

    // Only the hash is stored; the outbox row forgets the token once sent.
    EXPECT_EQ(db_->query_scalar(R"(SELECT "tokenHash" FROM "VerificationToken")"),
              sha256_hex(token));
    wait_outbox_settled();
    EXPECT_EQ(db_->query_scalar(
                  R"(SELECT status || ':' || (token IS NULL)::text || ':' || attempts::text
                     FROM "EmailOutbox")"),
              "sent:true:1");

    EXPECT_EQ(post(server, "/auth/verify-email", R"({"token":")" + token + R"("})").status, 204);
    EXPECT_EQ(db_->query_scalar(R"(SELECT ("emailVerifiedAt" IS NOT NULL)::text FROM "User")"),
              "true");
    EXPECT_EQ(login(server, email).status, 200);
    expect_error(post(server, "/auth/verify-email", R"({"token":")" + token + R"("})"), 400,
                 "Invalid verification token", "EMAIL_VERIFICATION_INVALID");
    expect_validation(post(server, "/auth/verify-email", R"({"token":"short"})"));

    const auto metrics = get(server.port(), "/metrics");
    EXPECT_THAT(metrics.body, HasSubstr("portcullis_outbox_sent_total 1\n"));
    EXPECT_THAT(metrics.body, HasSubstr("portcullis_outbox_depth 0\n"));
    EXPECT_THAT(server.output(), HasSubstr(R"("msg":"Verification email sent via SMTP")"));
    EXPECT_THAT(server.output(), Not(HasSubstr(token)));
}

TEST_F(EmailFlows, ExpiredVerificationTokenIsRejectedThenUsed) {
    auto& server = start({{"AUTH_EMAIL_VERIFICATION_REQUIRED", "true"}});
    const std::string email = unique_email("expired");
    ASSERT_EQ(register_user(server, email).status, 201);
    const auto mails = wait_for_mails(shared_maildir(), email, 1);
    ASSERT_EQ(mails.size(), 1u);
    const std::string token = token_in(mails[0].text);
    ASSERT_EQ(token.size(), 43u);
    EXPECT_THAT(mails[0].text, HasSubstr("expires in 1 hour"));

    // The shortest TTL is a minute: age the row instead of waiting.
    db_->exec(R"(UPDATE "VerificationToken" SET "expiresAt" = "expiresAt" - interval '2 hours')");
    expect_error(post(server, "/auth/verify-email", R"({"token":")" + token + R"("})"), 400,
                 "Verification token expired", "EMAIL_VERIFICATION_EXPIRED");
    expect_error(post(server, "/auth/verify-email", R"({"token":")" + token + R"("})"), 400,
                 "Invalid verification token", "EMAIL_VERIFICATION_INVALID");
    EXPECT_EQ(db_->query_scalar(R"(SELECT ("emailVerifiedAt" IS NULL)::text FROM "User")"), "true");
}

TEST_F(EmailFlows, ResendVerificationSendsAFreshTokenOnlyToUnverifiedAccounts) {
    auto& server = start({{"AUTH_EMAIL_VERIFICATION_REQUIRED", "true"}});
    const std::string email = unique_email("resend");
    ASSERT_EQ(register_user(server, email).status, 201);
    ASSERT_EQ(wait_for_mails(shared_maildir(), email, 1).size(), 1u);

    auto r = post(server, "/auth/resend-verification", R"({"email":")" + email + R"("})");
    EXPECT_EQ(r.status, 202);
    EXPECT_EQ(r.body, R"({"status":"ok"})");
    const auto mails = wait_for_mails(shared_maildir(), email, 2);
    ASSERT_EQ(mails.size(), 2u);
    const std::string a = token_in(mails[0].text);
    const std::string b = token_in(mails[1].text);
    ASSERT_EQ(a.size(), 43u);
    ASSERT_EQ(b.size(), 43u);
    ASSERT_NE(a, b);
    // Which file is older is not known from the Maildir: the newest token is the one stored
    // unused; the other was voided when it was made (contract 5.6).
    const auto unused =
        db_->query_scalar(R"(SELECT "tokenHash" FROM "VerificationToken" WHERE "usedAt" IS NULL)");
    const std::string fresh = unused == sha256_hex(a) ? a : b;
    const std::string voided = fresh == a ? b : a;
    expect_error(post(server, "/auth/verify-email", R"({"token":")" + voided + R"("})"), 400,
                 "Invalid verification token", "EMAIL_VERIFICATION_INVALID");
    EXPECT_EQ(post(server, "/auth/verify-email", R"({"token":")" + fresh + R"("})").status, 204);

    // Verified accounts and unknown addresses: 202 and no email.
    const std::string unknown = unique_email("resend-unknown");
    EXPECT_EQ(post(server, "/auth/resend-verification", R"({"email":")" + email + R"("})").status,
              202);
    EXPECT_EQ(post(server, "/auth/resend-verification", R"({"email":")" + unknown + R"("})").status,
              202);
    expect_validation(post(server, "/auth/resend-verification", R"({"email":"nope"})"));
    wait_outbox_settled();
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "EmailOutbox" WHERE status = 'skipped')"),
              "2");
    EXPECT_EQ(mails_to(shared_maildir(), email).size(), 2u);
    EXPECT_EQ(mails_to(shared_maildir(), unknown).size(), 0u);
    // A later email to the same address arrives as the third one: the skipped requests mailed
    // nothing in the meantime.
    ASSERT_EQ(
        post(server, "/auth/request-password-reset", R"({"email":")" + email + R"("})").status,
        202);
    const auto after = wait_for_mails(shared_maildir(), email, 3);
    ASSERT_EQ(after.size(), 3u);
    wait_outbox_settled();
    EXPECT_EQ(mails_to(shared_maildir(), email).size(), 3u);
    EXPECT_EQ(std::count_if(
                  after.begin(), after.end(),
                  [](const Mail& m) { return m.headers.at("subject") == "Reset your password"; }),
              1);
    EXPECT_EQ(mails_to(shared_maildir(), unknown).size(), 0u);
}

TEST_F(EmailFlows, PasswordResetReplacesThePasswordRevokesSessionsAndClearsTheLockout) {
    auto& server = start({{"AUTH_LOGIN_MAX_ATTEMPTS", "3"}});
    const std::string email = unique_email("reset");
    const auto reg = register_user(server, email);
    ASSERT_EQ(reg.status, 201) << reg.body;
    const std::string refresh_token = str(boost::json::parse(reg.body).as_object(), "refreshToken");
    for (int i = 0; i < 3; ++i) login(server, email, "wrong-password");
    expect_error(login(server, email), 429, "Too many login attempts. Try again later.",
                 "LOGIN_LOCKED");

    // Looked up case-insensitively; the email goes to the address as stored.
    std::string shouted = email;
    std::transform(shouted.begin(), shouted.end(), shouted.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    const auto r =
        post(server, "/auth/request-password-reset", R"({"email":")" + shouted + R"("})");
    EXPECT_EQ(r.status, 202);
    EXPECT_EQ(r.body, R"({"status":"ok"})");
    const auto mails = wait_for_mails(shared_maildir(), email, 1);
    ASSERT_EQ(mails.size(), 1u);
    EXPECT_EQ(mails[0].headers.at("subject"), "Reset your password");
    EXPECT_EQ(mails[0].headers.at("to"), email);
    EXPECT_THAT(mails[0].text, HasSubstr("expires in 30 minutes"));
    const std::string token = token_in(mails[0].text);
    ASSERT_EQ(token.size(), 43u) << mails[0].raw;
    EXPECT_EQ(token_in(mails[0].html), token);

    // A weak password is refused before the token is looked at: the token stays usable.
    expect_validation(post(server, "/auth/reset-password",
                           R"({"token":")" + token + R"(","password":"weakpassword"})"));
    EXPECT_EQ(post(server, "/auth/reset-password",
                   R"({"token":")" + token + R"(","password":")" + kNewPassword + R"("})")
                  .status,
              204);

    expect_error(post(server, "/auth/refresh", R"({"refreshToken":")" + refresh_token + R"("})"),
                 401, "Invalid session", "SESSION_INVALID");
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "Session" WHERE valid)"), "0");
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "LoginAttempt")"), "0")
        << "lockout cleared (B.7)";
    expect_error(login(server, email), 401, "Invalid credentials", "INVALID_CREDENTIALS");
    EXPECT_EQ(login(server, email, kNewPassword).status, 200);
    expect_error(post(server, "/auth/reset-password",
                      R"({"token":")" + token + R"(","password":"Another!Passw0rd"})"),
                 400, "Invalid reset token", "PASSWORD_RESET_INVALID");
    EXPECT_THAT(server.output(), Not(HasSubstr(token)));
    EXPECT_THAT(server.output(), Not(HasSubstr(kNewPassword)));
}

TEST_F(EmailFlows, NewResetTokenVoidsTheOlderOneAndExpiredTokensAreRefused) {
    auto& server = start();
    const std::string email = unique_email("reset2");
    ASSERT_EQ(register_user(server, email).status, 201);
    ASSERT_EQ(
        post(server, "/auth/request-password-reset", R"({"email":")" + email + R"("})").status,
        202);
    ASSERT_EQ(wait_for_mails(shared_maildir(), email, 1).size(), 1u);
    ASSERT_EQ(
        post(server, "/auth/request-password-reset", R"({"email":")" + email + R"("})").status,
        202);
    const auto mails = wait_for_mails(shared_maildir(), email, 2);
    ASSERT_EQ(mails.size(), 2u);
    const std::string a = token_in(mails[0].text);
    const std::string b = token_in(mails[1].text);
    const auto unused =
        db_->query_scalar(R"(SELECT "tokenHash" FROM "PasswordResetToken" WHERE "usedAt" IS NULL)");
    const std::string fresh = unused == sha256_hex(a) ? a : b;
    const std::string voided = fresh == a ? b : a;
    ASSERT_EQ(unused, sha256_hex(fresh));
    expect_error(post(server, "/auth/reset-password",
                      R"({"token":")" + voided + R"(","password":")" + kNewPassword + R"("})"),
                 400, "Invalid reset token", "PASSWORD_RESET_INVALID");

    db_->exec(R"(UPDATE "PasswordResetToken" SET "expiresAt" = "expiresAt" - interval '2 hours')");
    expect_error(post(server, "/auth/reset-password",
                      R"({"token":")" + fresh + R"(","password":")" + kNewPassword + R"("})"),
                 400, "Reset token expired", "PASSWORD_RESET_EXPIRED");
    expect_error(post(server, "/auth/reset-password",
                      R"({"token":")" + fresh + R"(","password":")" + kNewPassword + R"("})"),
                 400, "Invalid reset token", "PASSWORD_RESET_INVALID");
    EXPECT_EQ(login(server, email).status, 200) << "the password did not change";
}

TEST_F(EmailFlows, UnknownEmailGets202AndNoEmail) {
    auto& server = start();
    const std::string email = unique_email("unknown");
    const auto r = post(server, "/auth/request-password-reset", R"({"email":")" + email + R"("})");
    EXPECT_EQ(r.status, 202);
    EXPECT_EQ(r.body, R"({"status":"ok"})");
    expect_validation(post(server, "/auth/request-password-reset", R"({"email":"x"})"));
    // The request path wrote the same single row it writes for a known address (B.10).
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "EmailOutbox")"), "1");
    wait_outbox_settled();
    EXPECT_EQ(db_->query_scalar(R"(SELECT status FROM "EmailOutbox")"), "skipped");
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "PasswordResetToken")"), "0");
    EXPECT_EQ(mails_to(shared_maildir(), email).size(), 0u);
    // Once the address exists, a reset request mails it: that email is the first and only one
    // the address ever gets, so the skipped request sent nothing.
    ASSERT_EQ(register_user(server, email).status, 201);
    ASSERT_EQ(
        post(server, "/auth/request-password-reset", R"({"email":")" + email + R"("})").status,
        202);
    const auto mails = wait_for_mails(shared_maildir(), email, 1);
    ASSERT_EQ(mails.size(), 1u);
    wait_outbox_settled();
    EXPECT_EQ(mails_to(shared_maildir(), email).size(), 1u);
    EXPECT_EQ(mails[0].headers.at("subject"), "Reset your password");
    EXPECT_EQ(db_->query_scalar(R"(SELECT "tokenHash" FROM "PasswordResetToken")"),
              sha256_hex(token_in(mails[0].text)));
}

// Decisions C.2: an SMTP outage loses nothing and duplicates nothing. Each email is retried with
// backoff while the sink is down, kept pending with its token all along, and delivered exactly
// once when the sink is back. The backoff is compressed (the defaults are 5 s doubling to 10 min)
// so the outage can span several retries in about a second.
TEST_F(EmailFlows, SmtpOutageDeliversEveryEmailExactlyOnceAfterwards) {
    SmtpSink sink;
    sink.start();
    auto& server = start_with(
        env_for(std::to_string(sink.port()), {{"AUTH_EMAIL_VERIFICATION_REQUIRED", "true"},
                                              {"EMAIL_OUTBOX_MAX_ATTEMPTS", "100"},
                                              {"EMAIL_OUTBOX_RETRY_BASE_MS", "100"},
                                              {"EMAIL_OUTBOX_RETRY_MAX_MS", "400"}}));
    sink.stop();
    const std::string first = unique_email("outage-a");
    const std::string second = unique_email("outage-b");
    ASSERT_EQ(register_user(server, first).status, 201);
    ASSERT_EQ(register_user(server, second).status, 201);

    // The outage lasts until both emails have failed three times.
    constexpr int kFailuresDuringOutage = 3;
    const auto deadline = std::chrono::steady_clock::now() + 15s;
    while (db_->query_scalar(R"(SELECT count(*) FROM "EmailOutbox" WHERE attempts >= )" +
                             std::to_string(kFailuresDuringOutage + 1)) != "2") {
        ASSERT_LT(std::chrono::steady_clock::now(), deadline) << server.output();
        std::this_thread::sleep_for(20ms);
    }
    // A fourth claim has begun, so three attempts have ended: each in a retry, none given up, none
    // taken for sent, no token lost.
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "EmailOutbox" WHERE status = 'pending'
                                   AND token IS NOT NULL AND "lastError" IS NOT NULL)"),
              "2");
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "EmailOutbox" WHERE "sentAt" IS NOT NULL)"),
              "0");
    EXPECT_GE(metric(get(server.port(), "/metrics").body, "portcullis_outbox_send_failures_total"),
              2 * kFailuresDuringOutage);
    EXPECT_EQ(metric(get(server.port(), "/metrics").body, "portcullis_outbox_sent_total"), 0);

    sink.start();
    EXPECT_EQ(wait_for_mails(sink.maildir(), first, 1, 20s).size(), 1u);
    EXPECT_EQ(wait_for_mails(sink.maildir(), second, 1, 20s).size(), 1u);
    wait_outbox_settled();
    EXPECT_EQ(mails_to(sink.maildir(), first).size(), 1u);
    EXPECT_EQ(mails_to(sink.maildir(), second).size(), 1u);
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "EmailOutbox" WHERE status = 'sent'
                                   AND token IS NULL AND attempts > )" +
                                std::to_string(kFailuresDuringOutage)),
              "2");
    // Every attempt but the last of each email failed, and each failure was counted once.
    const auto attempts = db_->query_scalar(R"(SELECT sum(attempts)::text FROM "EmailOutbox")");
    ASSERT_TRUE(attempts);
    const auto metrics = get(server.port(), "/metrics").body;
    EXPECT_EQ(metric(metrics, "portcullis_outbox_send_failures_total"), std::stoi(*attempts) - 2);
    EXPECT_EQ(metric(metrics, "portcullis_outbox_sent_total"), 2);
}

// Decisions C.2: the outbox is durable: an email a killed process could not send is sent by the
// next one, once.
TEST_F(EmailFlows, PendingEmailSurvivesAKilledProcess) {
    SmtpSink sink;
    sink.start();
    auto& first = start_with(
        env_for(std::to_string(free_port()), {{"AUTH_EMAIL_VERIFICATION_REQUIRED", "true"}}));
    const std::string email = unique_email("restart");
    ASSERT_EQ(register_user(first, email).status, 201);
    ASSERT_TRUE(first
                    .wait_for_line(
                        [](const boost::json::value& v) {
                            return json_string_at(v, {"msg"}) == "Email send failed, retrying";
                        },
                        10s)
                    .has_value())
        << first.output();
    first.signal(SIGKILL);
    first.wait_exit(5s);

    auto& second = start_with(
        env_for(std::to_string(sink.port()), {{"AUTH_EMAIL_VERIFICATION_REQUIRED", "true"}}));
    const auto mails = wait_for_mails(sink.maildir(), email, 1);
    ASSERT_EQ(mails.size(), 1u) << second.output();
    const std::string token = token_in(mails[0].text);
    EXPECT_EQ(post(second, "/auth/verify-email", R"({"token":")" + token + R"("})").status, 204);
    wait_outbox_settled();
    EXPECT_EQ(mails_to(sink.maildir(), email).size(), 1u);
    // The next email to the address is its second: the killed process's row was sent once.
    ASSERT_EQ(
        post(second, "/auth/request-password-reset", R"({"email":")" + email + R"("})").status,
        202);
    const auto after = wait_for_mails(sink.maildir(), email, 2);
    ASSERT_EQ(after.size(), 2u);
    wait_outbox_settled();
    EXPECT_EQ(mails_to(sink.maildir(), email).size(), 2u);
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "EmailOutbox" WHERE status = 'sent')"),
              "2");
}

// Decisions B.12 with C.2: a retry long after the first attempt does not mail a token that is
// about to expire (nor claim the full TTL for it): under half its TTL left, a fresh token is made
// and the old one is voided.
TEST_F(EmailFlows, RetryAfterALongOutageMailsAFreshToken) {
    SmtpSink sink;
    sink.start();
    auto& server = start_with(
        env_for(std::to_string(sink.port()), {{"AUTH_EMAIL_VERIFICATION_REQUIRED", "true"},
                                              {"EMAIL_OUTBOX_RETRY_BASE_MS", "500"},
                                              {"EMAIL_OUTBOX_RETRY_MAX_MS", "500"}}));
    sink.stop();
    const std::string email = unique_email("stale");
    ASSERT_EQ(register_user(server, email).status, 201);
    ASSERT_TRUE(server
                    .wait_for_line(
                        [](const boost::json::value& v) {
                            return json_string_at(v, {"msg"}) == "Email send failed, retrying";
                        },
                        10s)
                    .has_value())
        << server.output();
    // As if the outage had lasted 50 of the token's 60 minutes.
    db_->exec(
        R"(UPDATE "VerificationToken" SET "expiresAt" = (now() AT TIME ZONE 'UTC') + interval '10 minutes')");
    const auto stale_hash = db_->query_scalar(R"(SELECT "tokenHash" FROM "VerificationToken")");
    ASSERT_TRUE(stale_hash);
    sink.start();
    const auto mails = wait_for_mails(sink.maildir(), email, 1, 20s);
    ASSERT_EQ(mails.size(), 1u) << server.output();
    const std::string token = token_in(mails[0].text);
    EXPECT_THAT(mails[0].text, HasSubstr("1 hour"));
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "VerificationToken"
                                   WHERE "tokenHash" = ')" +
                                *stale_hash + R"(' AND "usedAt" IS NOT NULL)"),
              "1")
        << "the stale token is voided";
    EXPECT_EQ(post(server, "/auth/verify-email", R"({"token":")" + token + R"("})").status, 204);
}

// Decisions C.2: after the last attempt a row is dead: logged as an error, its token cleared.
TEST_F(EmailFlows, UndeliverableEmailIsMarkedDeadAfterTheLastAttempt) {
    auto& server = start_with(
        env_for(std::to_string(free_port()), {{"AUTH_EMAIL_VERIFICATION_REQUIRED", "true"},
                                              {"EMAIL_OUTBOX_MAX_ATTEMPTS", "3"},
                                              {"EMAIL_OUTBOX_RETRY_BASE_MS", "100"},
                                              {"EMAIL_OUTBOX_RETRY_MAX_MS", "150"}}));
    const std::string email = unique_email("dead");
    ASSERT_EQ(register_user(server, email).status, 201);
    const auto failed = server.wait_for_line(
        [](const boost::json::value& v) {
            return json_string_at(v, {"msg"}) == "Failed to send verification email";
        },
        10s);
    ASSERT_TRUE(failed.has_value()) << server.output();
    EXPECT_EQ(failed->at("level"), "error");
    EXPECT_EQ(json_string_at(*failed, {"recipient"}), email);
    const auto lines = server.json_lines();
    const auto retries = std::count_if(lines.begin(), lines.end(), [](const boost::json::value& v) {
        return json_string_at(v, {"msg"}) == "Email send failed, retrying";
    });
    EXPECT_EQ(retries, 2);
    wait_outbox_settled();
    EXPECT_EQ(db_->query_scalar(
                  R"(SELECT status || ':' || (token IS NULL)::text || ':' || attempts::text
                     FROM "EmailOutbox")"),
              "dead:true:3");
    EXPECT_THAT(get(server.port(), "/metrics").body, HasSubstr("portcullis_outbox_dead_total 1\n"));
}

// Contract 8.3: an undeliverable reset email logs `Failed to send password reset email` with
// {err, userId, recipient}.
TEST_F(EmailFlows, UndeliverableResetEmailNamesTheUser) {
    auto& server =
        start_with(env_for(std::to_string(free_port()), {{"EMAIL_OUTBOX_MAX_ATTEMPTS", "1"}}));
    const std::string email = unique_email("dead-reset");
    ASSERT_EQ(register_user(server, email).status, 201);
    EXPECT_EQ(
        post(server, "/auth/request-password-reset", R"({"email":")" + email + R"("})").status,
        202);
    const auto failed = server.wait_for_line(
        [](const boost::json::value& v) {
            return json_string_at(v, {"msg"}) == "Failed to send password reset email";
        },
        10s);
    ASSERT_TRUE(failed.has_value()) << server.output();
    const auto user_id =
        db_->query_scalar(R"(SELECT id FROM "User" WHERE email = ')" + email + "'");
    ASSERT_TRUE(user_id);
    EXPECT_EQ(json_string_at(*failed, {"userId"}), *user_id);
    EXPECT_EQ(json_string_at(*failed, {"recipient"}), email);
}

// Decisions C.2: replicas share the outbox; FOR UPDATE SKIP LOCKED and the lease keep each email
// to one sender.
TEST_F(EmailFlows, TwoServersSharingTheDatabaseSendEachEmailOnce) {
    SmtpSink sink;
    sink.start();
    const Env env = env_for(
        std::to_string(sink.port()),
        {{"AUTH_EMAIL_VERIFICATION_REQUIRED", "true"}, {"EMAIL_OUTBOX_POLL_INTERVAL_MS", "20"}});
    auto& a = start_with(env);
    auto& b = start_with(env);
    std::vector<std::string> emails;
    for (int i = 0; i < 10; ++i) {
        emails.push_back(unique_email("replica"));
        ASSERT_EQ(register_user(i % 2 == 0 ? a : b, emails.back()).status, 201);
    }
    for (int i = 0; i < 10; i += 2) {
        ASSERT_EQ(post(i % 4 == 0 ? b : a, "/auth/request-password-reset",
                       R"({"email":")" + emails[static_cast<std::size_t>(i)] + R"("})")
                      .status,
                  202);
    }
    for (std::size_t i = 0; i < emails.size(); ++i) {
        EXPECT_EQ(wait_for_mails(sink.maildir(), emails[i], i % 2 == 0 ? 2 : 1).size(),
                  i % 2 == 0 ? 2u : 1u)
            << emails[i];
    }
    wait_outbox_settled();
    for (std::size_t i = 0; i < emails.size(); ++i) {
        EXPECT_EQ(mails_to(sink.maildir(), emails[i]).size(), i % 2 == 0 ? 2u : 1u) << emails[i];
    }
    EXPECT_EQ(db_->query_scalar(
                  R"(SELECT count(*) FROM "EmailOutbox" WHERE status = 'sent' AND attempts = 1)"),
              "15");
    // Stopped gracefully, both senders have ended and flushed their logs: together they logged
    // exactly one send per email.
    std::size_t sends = 0;
    for (auto* server : {&a, &b}) {
        server->signal(SIGTERM);
        ASSERT_EQ(server->wait_exit(15s), 0) << server->output();
        for (const auto& line : server->json_lines()) {
            const std::string msg = json_string_at(line, {"msg"});
            sends += msg == "Verification email sent via SMTP" ||
                     msg == "Password reset email sent via SMTP";
        }
    }
    EXPECT_EQ(sends, 15u);
    for (std::size_t i = 0; i < emails.size(); ++i) {
        EXPECT_EQ(mails_to(sink.maildir(), emails[i]).size(), i % 2 == 0 ? 2u : 1u) << emails[i];
    }
}

// Contract 8.4 and decisions B.3: production never logs a raw token, with SMTP or without.
TEST_F(EmailFlows, ProductionLogsNeverContainATokenWithOrWithoutSmtp) {
    Env production = {{"APP_ENV", "production"},
                      {"CORS_ORIGINS", "https://app.example.com"},
                      {"RATE_LIMIT_REDIS_URL", require_redis()},
                      {"LOG_LEVEL", "trace"}};

    // With SMTP: verification required.
    Env with_smtp = production;
    with_smtp["AUTH_EMAIL_VERIFICATION_REQUIRED"] = "true";
    // The sink offers no AUTH, so libcurl sends without it; the password must still never show.
    with_smtp["SMTP_USER"] = "mailer";
    with_smtp["SMTP_PASS"] = "smtp-pass-Xq7-never-logged";
    auto& smtp_server = start(with_smtp);
    const std::string email = unique_email("prod");
    ASSERT_EQ(register_user(smtp_server, email).status, 201);
    ASSERT_EQ(
        post(smtp_server, "/auth/request-password-reset", R"({"email":")" + email + R"("})").status,
        202);
    const auto mails = wait_for_mails(shared_maildir(), email, 2);
    ASSERT_EQ(mails.size(), 2u);
    wait_outbox_settled();
    // A graceful stop (the sender stops before the database closes); it must not take the next
    // server's row either.
    smtp_server.signal(SIGTERM);
    EXPECT_EQ(smtp_server.wait_exit(15s), 0) << smtp_server.output();

    // Without SMTP: the console fallback (contract 8.4) redacts.
    auto env = env_for("0", production);
    for (const char* name : {"SMTP_HOST", "SMTP_PORT", "SMTP_FROM"}) env.erase(name);
    auto& console_server = start_with(env);
    ASSERT_EQ(
        post(console_server, "/auth/request-password-reset", R"({"email":")" + email + R"("})")
            .status,
        202);
    const auto redacted = console_server.wait_for_line(
        [](const boost::json::value& v) {
            return json_string_at(v, {"msg"}) ==
                   "Email token generated; token omitted from console logs. Configure SMTP for "
                   "delivery.";
        },
        10s);
    ASSERT_TRUE(redacted.has_value()) << console_server.output();
    EXPECT_EQ(redacted->at("level"), "warn");
    EXPECT_EQ(redacted->at("tokenRedacted"), true);
    EXPECT_EQ(redacted->at("emailType"), "password-reset");
    wait_outbox_settled();

    std::set<std::string> hashes;
    for (const auto& row : db_->query(R"(SELECT "tokenHash" FROM "VerificationToken" UNION ALL
                                         SELECT "tokenHash" FROM "PasswordResetToken")")) {
        hashes.insert(row[0].value_or(""));
    }
    ASSERT_EQ(hashes.size(), 3u);
    for (const auto* server : {&smtp_server, &console_server}) {
        const std::string output = server->output();
        EXPECT_THAT(leaked_tokens(output, hashes), ::testing::IsEmpty()) << output;
        EXPECT_THAT(output, Not(HasSubstr(token_in(mails[0].text))));
        EXPECT_THAT(output, Not(HasSubstr("exampleLink")));
        EXPECT_THAT(output, Not(HasSubstr("smtp-pass-Xq7-never-logged")));
    }
}

// Contract 8.4 outside production: the token is logged as an example link.
TEST_F(EmailFlows, ConsoleFallbackOutsideProductionLogsTheLink) {
    auto env = env_for("0");
    for (const char* name : {"SMTP_HOST", "SMTP_PORT", "SMTP_FROM"}) env.erase(name);
    auto& server = start_with(env);
    const std::string email = unique_email("console");
    ASSERT_EQ(register_user(server, email).status, 201);
    ASSERT_EQ(
        post(server, "/auth/request-password-reset", R"({"email":")" + email + R"("})").status,
        202);
    const auto ready = server.wait_for_line(
        [](const boost::json::value& v) {
            return json_string_at(v, {"msg"}) == "Password reset token ready";
        },
        10s);
    ASSERT_TRUE(ready.has_value()) << server.output();
    const std::string link = json_string_at(*ready, {"exampleLink"});
    const std::string prefix = "https://yourapp.com/reset-password?token=";
    ASSERT_TRUE(link.starts_with(prefix)) << link;
    const std::string token = link.substr(prefix.size());
    EXPECT_EQ(db_->query_scalar(R"(SELECT "tokenHash" FROM "PasswordResetToken")"),
              sha256_hex(token));
    EXPECT_THAT(server.output(), HasSubstr(R"("msg":"Email (console): Password reset email")"));
    EXPECT_EQ(post(server, "/auth/reset-password",
                   R"({"token":")" + token + R"(","password":")" + kNewPassword + R"("})")
                  .status,
              204);
}

}  // namespace
}  // namespace portcullis::test
