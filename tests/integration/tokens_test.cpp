// Tokens beyond the reference (issue #15) against the real binary and Postgres: the refresh grace
// window (racing refreshes converge on one pair; grandparents, the window's end and grace 0 still
// trip reuse detection; nothing of the pair is stored), rotation of the HS256
// secrets without logging anyone out, EdDSA access tokens with their JWKS, and the configuration
// problems of EdDSA.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <openssl/evp.h>
#include <unistd.h>
#include <boost/json/parse.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fresh_server.hpp"
#include "http_client.hpp"
#include "server_process.hpp"
#include "sha256.hpp"
#include "test_database.hpp"

namespace portcullis::test {
namespace {
using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr const char* kAccessSecret = "tokens-access-secret-0123456789abcdef-01";
constexpr const char* kRefreshSecret = "tokens-refresh-secret-0123456789abcdef-0";

struct Pair {
    std::string access;
    std::string refresh;
};

Pair pair_of(const HttpResponse& r) {
    const auto body = boost::json::parse(r.body).as_object();
    return {std::string(body.at("accessToken").as_string()),
            std::string(body.at("refreshToken").as_string())};
}

// The text of one base64url token part (header or payload), for inspection.
std::optional<std::string> base64url_text(std::string part) {
    for (char& c : part) c = c == '-' ? '+' : c == '_' ? '/' : c;
    while (part.size() % 4 != 0) part.push_back('=');
    std::string out(part.size() / 4 * 3, '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(part.data()),
                                  static_cast<int>(part.size()));
    if (n < 0) return std::nullopt;
    out.resize(static_cast<std::size_t>(n));
    while (!out.empty() && out.back() == '\0') out.pop_back();
    return out;
}

std::string code_of(const HttpResponse& r) {
    const auto body = boost::json::parse(r.body).as_object();
    return std::string(body.at("error").as_object().at("code").as_string());
}

class TokenFeatures : public ::testing::Test, protected FreshServer {
protected:
    Env env(Env overrides = {}) const {
        overrides.try_emplace("JWT_ACCESS_SECRET", kAccessSecret);
        overrides.try_emplace("JWT_REFRESH_SECRET", kRefreshSecret);
        return fresh_env(overrides);
    }

    std::unique_ptr<ServerProcess> start(Env overrides = {}) {
        return launch(env(std::move(overrides)));
    }

    static Pair signed_up(const ServerProcess& server, const std::string& email) {
        const auto r = post_json(server.port(), "/auth/register",
                                 R"({"email":")" + email + R"(","password":"Str0ng!Passw0rd"})");
        EXPECT_EQ(r.status, 201) << r.body;
        return pair_of(r);
    }

    static HttpResponse refresh(const ServerProcess& server, const std::string& token) {
        return post_json(server.port(), "/auth/refresh", R"({"refreshToken":")" + token + R"("})");
    }

    static int sessions_status(const ServerProcess& server, const std::string& access) {
        return get(server.port(), "/auth/sessions", {{"Authorization", "Bearer " + access}}).status;
    }
};

// Twenty tabs refresh with one token at once: with a grace window every one gets the same pair,
// the session stays one valid session and nothing is revoked.
TEST_F(TokenFeatures, RacingRefreshesWithinTheGraceWindowConvergeOnOnePair) {
    auto server = start({{"AUTH_REFRESH_REUSE_GRACE_SECONDS", "10"}});
    const Pair first = signed_up(*server, "tabs@example.com");
    std::vector<HttpResponse> answers(20);
    std::vector<std::thread> tabs;
    for (std::size_t i = 0; i < answers.size(); ++i) {
        tabs.emplace_back([&, i] { answers[i] = refresh(*server, first.refresh); });
    }
    for (auto& tab : tabs) tab.join();
    std::set<std::string> refresh_tokens;
    std::set<std::string> access_tokens;
    for (const auto& answer : answers) {
        ASSERT_EQ(answer.status, 200) << answer.body;
        const Pair pair = pair_of(answer);
        refresh_tokens.insert(pair.refresh);
        access_tokens.insert(pair.access);
    }
    EXPECT_EQ(refresh_tokens.size(), 1U);
    EXPECT_EQ(access_tokens.size(), 1U);
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "Session" WHERE valid)"), "1");
    const Pair converged{*access_tokens.begin(), *refresh_tokens.begin()};
    EXPECT_EQ(sessions_status(*server, converged.access), 200);
    // Nothing of the pair is stored (it is derived again): the session holds only its hash, and no
    // table of the database holds the token or its signature.
    EXPECT_EQ(db_->query_scalar(R"(SELECT token FROM "Session" WHERE valid)"),
              sha256_hex(converged.refresh));
    const std::string signature = converged.refresh.substr(converged.refresh.rfind('.') + 1);
    EXPECT_EQ(db_->query_scalar(
                  "SELECT count(*) FROM (SELECT to_jsonb(s)::text AS row FROM \"Session\" s UNION "
                  "ALL SELECT to_jsonb(u)::text FROM \"User\" u UNION ALL SELECT to_jsonb(o)::text "
                  "FROM \"EmailOutbox\" o) dump WHERE row LIKE '%" +
                  signature + "%'"),
              "0");
    // The family goes on from the converged token.
    EXPECT_EQ(refresh(*server, converged.refresh).status, 200);
}

TEST_F(TokenFeatures, WithoutAGraceWindowARaceStillTripsReuseDetection) {
    auto server = start();
    const Pair first = signed_up(*server, "race@example.com");
    std::atomic<int> ok{0};
    std::atomic<int> reuse{0};
    std::vector<std::thread> tabs;
    for (int i = 0; i < 20; ++i) {
        tabs.emplace_back([&] {
            const auto answer = refresh(*server, first.refresh);
            if (answer.status == 200) ++ok;
            if (answer.status == 401 && code_of(answer) == "REFRESH_REUSE") ++reuse;
        });
    }
    for (auto& tab : tabs) tab.join();
    EXPECT_EQ(ok.load(), 1);
    EXPECT_GE(reuse.load(), 1);
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "Session" WHERE valid)"), "0");
}

TEST_F(TokenFeatures, AGrandparentTokenTripsReuseDetectionInsideTheWindow) {
    auto server = start({{"AUTH_REFRESH_REUSE_GRACE_SECONDS", "30"}});
    const Pair first = signed_up(*server, "grand@example.com");
    const auto second = refresh(*server, first.refresh);
    ASSERT_EQ(second.status, 200);
    ASSERT_EQ(refresh(*server, pair_of(second).refresh).status, 200);
    const auto replay = refresh(*server, first.refresh);
    EXPECT_EQ(replay.status, 401);
    EXPECT_EQ(code_of(replay), "REFRESH_REUSE");
    EXPECT_EQ(db_->query_scalar(R"(SELECT count(*) FROM "Session" WHERE valid)"), "0");
}

TEST_F(TokenFeatures, AfterTheWindowTheRetryTripsReuseDetection) {
    auto server = start({{"AUTH_REFRESH_REUSE_GRACE_SECONDS", "1"}});
    const Pair first = signed_up(*server, "late@example.com");
    const auto rotated_at = std::chrono::steady_clock::now();
    ASSERT_EQ(refresh(*server, first.refresh).status, 200);
    ASSERT_EQ(refresh(*server, first.refresh).status, 200);  // within the window: the same pair
    // The window's end is the behaviour under test: a wall-clock wait past it is the point.
    std::this_thread::sleep_until(rotated_at + 1100ms);
    const auto late = refresh(*server, first.refresh);
    EXPECT_EQ(late.status, 401);
    EXPECT_EQ(code_of(late), "REFRESH_REUSE");
}

// The runbook's secret rotation: tokens minted with the old secrets keep working while those are
// listed as previous (access until expiry, refresh rotating into the new secret), and fail once
// they are removed.
TEST_F(TokenFeatures, RotatedSecretsKeepUsersLoggedIn) {
    Pair before;
    {
        auto old = start();
        before = signed_up(*old, "rotate@example.com");
    }
    const Env rotated{{"JWT_ACCESS_SECRET", "new-access-secret-0123456789abcdef-0123"},
                      {"JWT_REFRESH_SECRET", "new-refresh-secret-0123456789abcdef-012"},
                      {"JWT_ACCESS_SECRET_PREVIOUS", kAccessSecret},
                      {"JWT_REFRESH_SECRET_PREVIOUS", kRefreshSecret}};
    Pair after;
    {
        auto server = start(rotated);
        EXPECT_EQ(sessions_status(*server, before.access), 200);
        const auto r = refresh(*server, before.refresh);
        ASSERT_EQ(r.status, 200) << r.body;
        after = pair_of(r);
    }
    Env only_new = rotated;
    only_new.erase("JWT_ACCESS_SECRET_PREVIOUS");
    only_new.erase("JWT_REFRESH_SECRET_PREVIOUS");
    auto server = start(only_new);
    EXPECT_EQ(sessions_status(*server, after.access), 200);  // signed with the new secret
    EXPECT_EQ(refresh(*server, after.refresh).status, 200);
    const auto old_access =
        get(server->port(), "/auth/sessions", {{"Authorization", "Bearer " + before.access}});
    EXPECT_EQ(old_access.status, 401);
    EXPECT_EQ(code_of(old_access), "JWT_ACCESS_INVALID");
}

TEST_F(TokenFeatures, EdDsaAccessTokensAndTheirKeySet) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("portcullis-keys-" + std::to_string(::getpid()) + "-eddsa");
    std::filesystem::remove_all(dir);
    const auto generated = run_command({}, {"keys", "generate", "--dir", dir.string()});
    ASSERT_EQ(generated.exit_code, 0) << generated.err;
    EXPECT_THAT(generated.out, HasSubstr("kid "));
    auto server =
        start({{"JWT_ACCESS_ALGORITHM", "EdDSA"}, {"JWT_SIGNING_KEYS_DIR", dir.string()}});
    const Pair pair = signed_up(*server, "ed@example.com");
    const auto header = pair.access.substr(0, pair.access.find('.'));
    EXPECT_EQ(sessions_status(*server, pair.access), 200);

    const auto jwks = get(server->port(), "/.well-known/jwks.json");
    ASSERT_EQ(jwks.status, 200);
    EXPECT_EQ(jwks.header("cache-control"), "public, max-age=300, must-revalidate");
    const auto set = boost::json::parse(jwks.body).as_object();
    ASSERT_EQ(set.at("keys").as_array().size(), 1U);
    const auto& key = set.at("keys").as_array()[0].as_object();
    EXPECT_EQ(key.at("kty").as_string(), "OKP");
    EXPECT_EQ(key.at("crv").as_string(), "Ed25519");
    EXPECT_FALSE(key.contains("d"));
    // The token's header names that key.
    const std::string kid(key.at("kid").as_string());
    EXPECT_THAT(*base64url_text(header), HasSubstr(kid));
    // Refresh tokens stay HS256.
    EXPECT_THAT(*base64url_text(pair.refresh.substr(0, pair.refresh.find('.'))),
                HasSubstr("HS256"));
    // alg none with the same payload is refused.
    const auto payload = pair.access.substr(pair.access.find('.') + 1,
                                            pair.access.rfind('.') - pair.access.find('.') - 1);
    const std::string none = "eyJhbGciOiJub25lIn0." + payload + ".";
    EXPECT_EQ(sessions_status(*server, none), 401);
    std::filesystem::remove_all(dir);
}

TEST_F(TokenFeatures, JwksIsServedOnlyWithEdDsa) {
    auto server = start();
    EXPECT_EQ(get(server->port(), "/.well-known/jwks.json").status, 404);
    EXPECT_EQ(get(server->port(), "/openapi.json").body.find("getJsonWebKeySet"),
              std::string::npos);
}

TEST(TokensConfig, EdDsaNeedsUsableKeys) {
    auto env = base_env();
    env["JWT_ACCESS_ALGORITHM"] = "EdDSA";
    const auto missing = run_command(env, {"check-config"});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_THAT(missing.out, HasSubstr("JWT_ACCESS_ALGORITHM=EdDSA needs JWT_SIGNING_KEYS_DIR"));
    env["JWT_SIGNING_KEY"] = "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----";
    const auto broken = run_command(env, {"check-config"});
    EXPECT_EQ(broken.exit_code, 1);
    EXPECT_THAT(broken.out, HasSubstr("JWT_SIGNING_KEY is not a PEM private key"));
    env.erase("JWT_SIGNING_KEY");
    env["JWT_SIGNING_KEYS_DIR"] = "/nonexistent-portcullis-keys";
    const auto no_dir = run_command(env, {"check-config"});
    EXPECT_EQ(no_dir.exit_code, 1);
    EXPECT_THAT(no_dir.out, HasSubstr("JWT_SIGNING_KEYS_DIR"));
    env["JWT_ACCESS_ALGORITHM"] = "HS256";
    const auto stray = run_command(env, {"check-config"});
    EXPECT_THAT(stray.out, HasSubstr("JWT_ACCESS_ALGORITHM is not set to EdDSA"));
    env.erase("JWT_SIGNING_KEYS_DIR");
    env["JWT_ACCESS_SECRET_PREVIOUS"] = "short";
    const auto short_previous = run_command(env, {"check-config"});
    EXPECT_EQ(short_previous.exit_code, 1);
    EXPECT_THAT(short_previous.out,
                HasSubstr("Every previous JWT access secret must be at least 32 characters long"));
}

}  // namespace
}  // namespace portcullis::test
