// Passwords against the real binary (issue #16): the blocklist on register, reset and change
// (built-in list, off, and a Have-I-Been-Pwned style file, a 10-million-line one included),
// password change ending the other sessions, the rehash of a reference p=4 hash after a login,
// and `portcullis hash calibrate`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <openssl/sha.h>
#include <unistd.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "fresh_server.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "test_database.hpp"

namespace portcullis::test {
namespace {
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr const char* kPassword = "Zq8-unusual!Phrase";

std::string hex(const unsigned char* bytes, std::size_t n, bool upper) {
    static constexpr char kLower[] = "0123456789abcdef";
    static constexpr char kUpper[] = "0123456789ABCDEF";
    const char* digits = upper ? kUpper : kLower;
    std::string out;
    for (std::size_t i = 0; i < n; ++i) {
        out.push_back(digits[bytes[i] >> 4]);
        out.push_back(digits[bytes[i] & 0x0f]);
    }
    return out;
}

std::string sha1_upper(const std::string& text) {
    unsigned char digest[SHA_DIGEST_LENGTH];
    SHA1(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
    return hex(digest, sizeof digest, true);
}

std::string sha256_lower(const std::string& text) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
    return hex(digest, sizeof digest, false);
}

std::string code_of(const HttpResponse& r) {
    return std::string(boost::json::parse(r.body).at("error").at("code").as_string());
}

std::string field(const HttpResponse& r, const char* name) {
    return std::string(boost::json::parse(r.body).at(name).as_string());
}

std::uint64_t splitmix(std::uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

// A file deleted with the test.
class TempFile {
public:
    TempFile() {
        std::string templ =
            (std::filesystem::temp_directory_path() / "portcullis-hibp-XXXXXX").string();
        const int fd = ::mkstemp(templ.data());
        if (fd < 0) throw std::runtime_error("mkstemp failed");
        ::close(fd);
        path_ = templ;
    }
    ~TempFile() {
        std::error_code ignored;
        std::filesystem::remove(path_, ignored);
    }
    TempFile(const TempFile&) = delete;
    TempFile& operator=(const TempFile&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

// `lines` sorted `SHA1:COUNT\r\n` lines as HIBP ships them: evenly spread hashes with
// pseudo-random low bits, and the SHA-1 of each of `breached` merged in at its place.
void write_hibp_file(const std::string& path, std::size_t lines,
                     const std::vector<std::string>& breached) {
    std::vector<std::string> extra;
    for (const auto& password : breached) extra.push_back(sha1_upper(password));
    std::sort(extra.begin(), extra.end());
    std::FILE* out = std::fopen(path.c_str(), "wb");
    ASSERT_NE(out, nullptr);
    std::string buffer;
    buffer.reserve(1 << 20);
    const std::uint64_t step = ~0ULL / lines;
    std::size_t next_extra = 0;
    char line[64];
    for (std::size_t i = 0; i < lines; ++i) {
        const std::uint64_t mixed = splitmix(i);
        std::snprintf(line, sizeof line, "%016llX%016llX%08X",
                      static_cast<unsigned long long>(i * step),
                      static_cast<unsigned long long>(mixed),
                      static_cast<unsigned>(splitmix(mixed) & 0xffffffffU));
        const std::string hash(line, 40);
        while (next_extra < extra.size() && extra[next_extra] < hash) {
            buffer += extra[next_extra++] + ":42\r\n";
        }
        if (next_extra < extra.size() && extra[next_extra] == hash) ++next_extra;
        buffer += hash + ":" + std::to_string(i % 997 + 1) + "\r\n";
        if (buffer.size() > (1 << 20) - 128) {
            std::fwrite(buffer.data(), 1, buffer.size(), out);
            buffer.clear();
        }
    }
    while (next_extra < extra.size()) buffer += extra[next_extra++] + ":42\r\n";
    std::fwrite(buffer.data(), 1, buffer.size(), out);
    std::fclose(out);
}

class Passwords : public ::testing::Test, protected FreshServer {
protected:
    Env env(const Env& overrides = {}) const { return fresh_env(overrides); }

    void start(const Env& overrides = {}) { server_ = launch(env(overrides)); }

    HttpResponse post(const std::string& path, const std::string& body,
                      const std::string& access_token = {}) {
        return post_as(server_->port(), path, body, access_token);
    }
    HttpResponse register_user(const std::string& email, const std::string& password) {
        return post("/auth/register",
                    R"({"email":")" + email + R"(","password":")" + password + R"("})");
    }
    HttpResponse login(const std::string& email, const std::string& password) {
        return post("/auth/login",
                    R"({"email":")" + email + R"(","password":")" + password + R"("})");
    }

    std::unique_ptr<ServerProcess> server_;
};

TEST_F(Passwords, CommonPasswordsAreRefusedOnRegisterAndAStrongOneIsAccepted) {
    start();
    for (const char* common : {"P@ssw0rd", "Password123!", "Summer2024!"}) {
        const auto r = register_user("alice@example.com", common);
        EXPECT_EQ(r.status, 400) << common;
        EXPECT_EQ(r.body, R"({"error":{"message":"Password is too common or has appeared in a )"
                          R"(data breach","code":"PASSWORD_BREACHED"}})")
            << common;
    }
    const auto with_email = register_user("alice@example.com", "Alice-Rocks#2031");
    EXPECT_EQ(with_email.status, 400);
    EXPECT_EQ(code_of(with_email), "PASSWORD_CONTAINS_EMAIL");
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "User")"), "0");
    EXPECT_EQ(register_user("alice@example.com", kPassword).status, 201);
    // Login is not a place for policy: an existing password always logs in.
    EXPECT_EQ(login("alice@example.com", kPassword).status, 200);
}

TEST_F(Passwords, OffTurnsTheBlocklistOff) {
    start({{"AUTH_PASSWORD_BLOCKLIST", "off"}});
    EXPECT_EQ(register_user("alice@example.com", "P@ssw0rd").status, 201);
    EXPECT_EQ(register_user("bob1@example.com", "Bob1-Is-Here!").status, 201);
}

TEST_F(Passwords, ResetRefusesABlocklistedPasswordAndKeepsTheTokenUsable) {
    start();
    ASSERT_EQ(register_user("carol@example.com", kPassword).status, 201);
    const std::string token = "reset-token-of-the-test-0123456789abcdefghij";
    db_->exec(R"(INSERT INTO "PasswordResetToken" (id, "userId", "tokenHash", "expiresAt")
                 SELECT gen_random_uuid()::text, id, ')" +
              sha256_lower(token) + R"(', (now() AT TIME ZONE 'UTC') + interval '10 minutes'
                 FROM "User" WHERE email = 'carol@example.com')");
    const auto reset = [&](const std::string& password) {
        return post("/auth/reset-password",
                    R"({"token":")" + token + R"(","password":")" + password + R"("})");
    };
    EXPECT_EQ(code_of(reset("Password123!")), "PASSWORD_BREACHED");
    EXPECT_EQ(code_of(reset("Carol-Rocks#2031")), "PASSWORD_CONTAINS_EMAIL");
    EXPECT_EQ(
        db_->query_scalar(R"(SELECT count(*) FROM "PasswordResetToken" WHERE "usedAt" IS NULL)"),
        "1");
    EXPECT_EQ(reset("Fresh-Phrase#71q").status, 204);
    EXPECT_EQ(login("carol@example.com", "Fresh-Phrase#71q").status, 200);
}

TEST_F(Passwords, ChangePasswordEndsEveryOtherSession) {
    start();
    const auto first = register_user("dave@example.com", kPassword);
    ASSERT_EQ(first.status, 201);
    const auto second = login("dave@example.com", kPassword);
    const auto current = login("dave@example.com", kPassword);
    ASSERT_EQ(current.status, 200);
    const std::string access = field(current, "accessToken");

    EXPECT_EQ(post("/auth/change-password", R"({"currentPassword":"x","newPassword":"y"})").status,
              401);
    EXPECT_EQ(
        code_of(post("/auth/change-password",
                     R"({"currentPassword":"Wrong-Passw0rd!","newPassword":"Fresh-Phrase#71q"})",
                     access)),
        "CURRENT_PASSWORD_INVALID");
    EXPECT_EQ(code_of(post("/auth/change-password",
                           R"({"currentPassword":")" + std::string(kPassword) +
                               R"(","newPassword":"P@ssw0rd"})",
                           access)),
              "PASSWORD_BREACHED");
    EXPECT_EQ(code_of(post(
                  "/auth/change-password",
                  R"({"currentPassword":")" + std::string(kPassword) + R"(","newPassword":"weak"})",
                  access)),
              "VALIDATION");
    const auto changed = post("/auth/change-password",
                              R"({"currentPassword":")" + std::string(kPassword) +
                                  R"(","newPassword":"Fresh-Phrase#71q"})",
                              access);
    ASSERT_EQ(changed.status, 204) << changed.body;

    for (const auto* other : {&first, &second}) {
        const auto refreshed =
            post("/auth/refresh", R"({"refreshToken":")" + field(*other, "refreshToken") + "\"}");
        EXPECT_EQ(refreshed.status, 401) << refreshed.body;
    }
    EXPECT_EQ(
        get(server_->port(), "/auth/sessions", {{"Authorization", "Bearer " + access}}).status,
        200);
    EXPECT_EQ(post("/auth/refresh", R"({"refreshToken":")" + field(current, "refreshToken") + "\"}")
                  .status,
              200);
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "Session" WHERE valid)"), "1");
    EXPECT_EQ(login("dave@example.com", kPassword).status, 401);
    EXPECT_EQ(login("dave@example.com", "Fresh-Phrase#71q").status, 200);
}

TEST_F(Passwords, AReferenceHashIsRehashedAfterALoginAndStillLogsIn) {
    start();
    std::ifstream file(std::string(PORTCULLIS_SOURCE_DIR) + "/tests/vectors/argon2.json");
    std::stringstream text;
    text << file.rdbuf();
    const auto vector = boost::json::parse(text.str()).at("vectors").at(0).as_object();
    const std::string reference_hash(vector.at("hash").as_string());
    const std::string password(vector.at("password").as_string());
    ASSERT_THAT(reference_hash, ::testing::StartsWith("$argon2id$v=19$m=65536,t=3,p=4$"));
    db_->exec(
        R"(INSERT INTO "User" (id, email, password, "createdAt", "updatedAt", "emailVerifiedAt")
                 VALUES ('3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f', 'legacy@example.com', ')" +
        reference_hash +
        R"(', '2026-01-01 00:00:00', '2026-01-01 00:00:00', '2026-01-01 00:00:00'))");
    EXPECT_EQ(login("legacy@example.com", password).status, 200);
    std::string stored;
    for (int i = 0; i < 200; ++i) {
        stored = db_->query_scalar(R"(SELECT password FROM "User")").value_or("");
        if (stored != reference_hash) break;
        std::this_thread::sleep_for(50ms);
    }
    EXPECT_THAT(stored, ::testing::StartsWith("$argon2id$v=19$m=8192,t=1,p=1$"));
    EXPECT_EQ(login("legacy@example.com", password).status, 200);
    EXPECT_EQ(login("legacy@example.com", "Password1?").status, 401);
}

TEST_F(Passwords, ABreachedHashFileIsUsedBesideTheBuiltinList) {
    TempFile file;
    write_hibp_file(file.path(), 1000, {"Correct-Horse-42!", "Another-Breached-9?"});
    start({{"AUTH_PASSWORD_BLOCKLIST", file.path()}});
    EXPECT_EQ(code_of(register_user("erin@example.com", "Correct-Horse-42!")), "PASSWORD_BREACHED");
    EXPECT_EQ(code_of(register_user("erin@example.com", "P@ssw0rd")), "PASSWORD_BREACHED");
    EXPECT_EQ(register_user("erin@example.com", kPassword).status, 201);

    const auto verified = run_command({}, {"blocklist", "verify", "--file", file.path()});
    EXPECT_EQ(verified.exit_code, 0) << verified.err;
    EXPECT_THAT(verified.out, HasSubstr(": 1002 sorted SHA-1 lines"));
    const auto checked =
        run_command_with_input({{"AUTH_PASSWORD_BLOCKLIST", file.path()}}, {"blocklist", "check"},
                               "Another-Breached-9?\nSomething-else-7!\n");
    EXPECT_EQ(checked.exit_code, 0) << checked.err;
    EXPECT_EQ(checked.out, "breached\nok\n");
}

TEST_F(Passwords, AnUnusableFileStopsTheStart) {
    TempFile unsorted;
    write_hibp_file(unsorted.path(), 10, {});
    {
        std::ifstream in(unsorted.path());
        std::vector<std::string> lines;
        for (std::string line; std::getline(in, line);) lines.push_back(line + "\n");
        std::swap(lines[3], lines[7]);
        std::ofstream out(unsorted.path(), std::ios::trunc);
        for (const auto& line : lines) out << line;
    }
    const auto verify = run_command({}, {"blocklist", "verify", "--file", unsorted.path()});
    EXPECT_EQ(verify.exit_code, 1);
    EXPECT_THAT(verify.err, HasSubstr("line 5 is not after line 4"));

    const auto missing =
        run_command(env({{"AUTH_PASSWORD_BLOCKLIST", "/nonexistent/pwned.txt"}}), {"check-config"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_THAT(missing.out, HasSubstr("AUTH_PASSWORD_BLOCKLIST"));
    TempFile garbage;
    std::ofstream(garbage.path()) << "this is not a hash file\n";
    const auto bad =
        run_command(env({{"AUTH_PASSWORD_BLOCKLIST", garbage.path()}}), {"check-config"});
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_THAT(bad.out, HasSubstr("does not start with a `<SHA-1 hex>:<count>` line"));
    const auto serve = run_binary(env({{"AUTH_PASSWORD_BLOCKLIST", garbage.path()}}), {"serve"});
    EXPECT_EQ(serve.exit_code, 1);
}

// Acceptance of issue #16: a generated 10-million-line file answers in under 1 ms per lookup
// with a resident-set growth under 1 MiB, through the binary's own lookup path.
TEST_F(Passwords, TenMillionLinesAnswerInUnderAMillisecondWithoutGrowingTheProcess) {
    constexpr std::size_t kLines = 10'000'000;
    std::vector<std::string> breached;
    for (int i = 0; i < 100; ++i) breached.push_back("Breached-" + std::to_string(i) + "-Kq!");
    TempFile file;
    write_hibp_file(file.path(), kLines, breached);
    EXPECT_GT(std::filesystem::file_size(file.path()), 400'000'000U);

    std::string input;
    for (const auto& password : breached) input += password + "\n";
    for (int i = 0; i < 9900; ++i) {
        input += "Fresh-" + std::to_string(splitmix(static_cast<std::uint64_t>(i)) % 1000000007) +
                 "-Kq!\n";
    }
    const auto checked = run_command_with_input(
        {}, {"blocklist", "check", "--file", file.path(), "--stats"}, input, 120s);
    ASSERT_EQ(checked.exit_code, 0) << checked.err;
    std::string expected;
    for (int i = 0; i < 100; ++i) expected += "breached\n";
    for (int i = 0; i < 9900; ++i) expected += "ok\n";
    EXPECT_EQ(checked.out, expected);
    const auto stats = boost::json::parse(checked.err).as_object();
    const double mean_us = stats.at("meanMicros").to_number<double>();
    const auto growth = [&](const char* before, const char* after) {
        return stats.at(after).to_number<std::int64_t>() -
               stats.at(before).to_number<std::int64_t>();
    };
    const auto rss_growth_kib = growth("rssBeforeKiB", "rssAfterKiB");
    const auto file_growth_kib = growth("rssFileBeforeKiB", "rssFileAfterKiB");
    std::cout << "[ INFO     ] 10,000 lookups in a " << kLines << "-line file: mean " << mean_us
              << " us, max " << stats.at("maxMicros").to_number<double>() << " us, RSS +"
              << rss_growth_kib << " KiB (file-backed +" << file_growth_kib << " KiB)\n";
    EXPECT_EQ(stats.at("lookups").to_number<std::int64_t>(), 10000);
    EXPECT_LT(mean_us, 1000.0);
    // The mapped file's pages never stay resident.
    EXPECT_LT(file_growth_kib, 1024);
#if !defined(__SANITIZE_ADDRESS__)
    // Under AddressSanitizer freed heap blocks wait in its quarantine (256 MiB by default), so the
    // whole resident set grows with every allocation of the lookups: only a build without it
    // measures the service.
    EXPECT_LT(rss_growth_kib, 1024);
#endif

    const auto verified = run_command({}, {"blocklist", "verify", "--file", file.path()}, 300s);
    EXPECT_EQ(verified.exit_code, 0) << verified.err;
    EXPECT_THAT(verified.out, HasSubstr(": 10000100 sorted SHA-1 lines"));
}

TEST(HashCalibrate, PrintsParametersMeasuredOnThisMachine) {
    const auto r =
        run_command({}, {"hash", "calibrate", "--target-ms", "40", "--memory-kib", "8192"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("m=8192 KiB t=1: "));
    EXPECT_THAT(r.out, HasSubstr("<- closest to the target"));
    EXPECT_THAT(r.out, HasSubstr("AUTH_ARGON2_MEMORY_KIB=8192\nAUTH_ARGON2_ITERATIONS="));
    const auto bad = run_command({}, {"hash", "calibrate", "--target-ms", "0"});
    EXPECT_NE(bad.exit_code, 0);
}

}  // namespace
}  // namespace portcullis::test
