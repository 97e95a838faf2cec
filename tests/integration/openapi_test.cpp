// GET /openapi.json and /docs against the real binary (contract 15, 3.7, 3.9, 3.10; issue #13):
// every documented operation is served and validates with the documented schema, the errors and
// bodies real requests produce are the documented ones, and the document and the docs files are
// compressed, ETagged and cacheable; production serves the document but no /docs.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <chrono>
#include <memory>
#include <set>

#include "http_client.hpp"
#include "server_process.hpp"
#include "test_database.hpp"

namespace portcullis::test {
namespace {
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

constexpr const char* kPassword = "Str0ng!Passw0rd";
constexpr const char* kSampleUuid = "3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f";

std::string lower(std::string text) {
    for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return text;
}

class OpenApiServer : public ::testing::Test {
protected:
    void SetUp() override {
        db_ = std::make_unique<TestDatabase>();
        auto env = base_env();
        env["DATABASE_URL"] = db_->url();
        env["AUTH_ARGON2_MEMORY_KIB"] = "8192";
        env["AUTH_ARGON2_ITERATIONS"] = "1";
        server_ =
            std::make_unique<ServerProcess>(env, std::vector<std::string>{"serve", "--migrate"});
        ASSERT_TRUE(server_->wait_healthy(30s)) << server_->output();
        const auto r = get(port(), "/openapi.json");
        ASSERT_EQ(r.status, 200);
        document_ = boost::json::parse(r.body).as_object();
    }

    std::uint16_t port() const { return server_->port(); }

    const boost::json::object& operation(const std::string& method, const std::string& path) {
        return document_.at("paths").at(path).at(lower(method)).as_object();
    }

    // `{"error":{"code":C}}` answered with `status` must be documented for the operation.
    void expect_documented(const std::string& method, const std::string& path,
                           const HttpResponse& r) {
        SCOPED_TRACE(method + " " + path + " -> " + std::to_string(r.status) + " " +
                     r.body.substr(0, 200));
        const auto& responses = operation(method, path).at("responses").as_object();
        const auto* response = responses.if_contains(std::to_string(r.status));
        ASSERT_NE(response, nullptr) << "status not documented";
        if (r.status >= 400) {
            const auto code = boost::json::parse(r.body).at("error").at("code").as_string();
            const auto& examples =
                response->at("content").at("application/json").at("examples").as_object();
            EXPECT_TRUE(examples.contains(code)) << code << " not documented";
            ++errors_checked_;
        } else if (const auto* content = response->as_object().if_contains("content")) {
            const auto& schema =
                content->at("application/json").at("schema").at("$ref").as_string();
            expect_shape(boost::json::parse(r.body), resolve(schema));
            ++bodies_checked_;
        }
    }

    const boost::json::object& resolve(std::string_view ref) {
        const auto name = ref.substr(ref.rfind('/') + 1);
        return document_.at("components").at("schemas").at(name).as_object();
    }

    // The body has every required property and no undocumented one (nested objects too).
    void expect_shape(const boost::json::value& body, const boost::json::object& schema) {
        if (const auto* ref = schema.if_contains("$ref")) {
            return expect_shape(body, resolve(ref->as_string()));
        }
        const auto type = schema.contains("type") ? schema.at("type").as_string() : "";
        if (type == "array") {
            const auto* items = schema.if_contains("items");
            for (const auto& item : body.as_array()) {
                if (items != nullptr) expect_shape(item, items->as_object());
            }
            return;
        }
        // A free-form object (the document's `info`) has no property list to check.
        if (type != "object" || !schema.contains("properties")) return;
        const auto& properties = schema.at("properties").as_object();
        for (const auto& [key, value] : body.as_object()) {
            ASSERT_TRUE(properties.contains(key)) << "undocumented property " << key;
            expect_shape(value, properties.at(key).as_object());
        }
        if (const auto* required = schema.if_contains("required")) {
            for (const auto& name : required->as_array()) {
                EXPECT_TRUE(body.as_object().contains(name.as_string())) << name;
            }
        }
    }

    HttpResponse call(const std::string& method, const std::string& path, const std::string& body,
                      const std::string& access_token = {}) {
        Request request;
        request.method = method;
        request.path = path;
        if (!access_token.empty()) {
            request.headers.emplace_back("Authorization", "Bearer " + access_token);
        }
        if (method == "POST") {
            request.headers.emplace_back("Content-Type", "application/json");
            request.body = body;
        }
        return fetch(port(), request);
    }

    // Calls the route and checks the answer against the document.
    HttpResponse check(const std::string& method, const std::string& path,
                       const std::string& body = "{}", const std::string& access_token = {},
                       const std::string& documented_path = {}) {
        auto r = call(method, path, body, access_token);
        expect_documented(method, documented_path.empty() ? path : documented_path, r);
        return r;
    }

    std::unique_ptr<TestDatabase> db_;
    std::unique_ptr<ServerProcess> server_;
    boost::json::object document_;
    int errors_checked_ = 0;
    int bodies_checked_ = 0;
};

TEST_F(OpenApiServer, EveryDocumentedOperationIsServedAndValidatesWithTheDocumentedSchema) {
    int operations = 0;
    for (const auto& [path, item] : document_.at("paths").as_object()) {
        for (const auto& [method, op] : item.as_object()) {
            SCOPED_TRACE(std::string(method) + " " + std::string(path));
            ++operations;
            std::string concrete(path);
            if (const auto open = concrete.find('{'); open != std::string::npos) {
                concrete.replace(open, concrete.find('}') - open + 1, kSampleUuid);
            }
            const std::string upper = method == "get" ? "GET" : "POST";
            const auto r = call(upper, concrete, "{}");
            // A route that is not served answers the router's 404 (USER_NOT_FOUND is a route's).
            EXPECT_NE(r.body, R"({"error":{"message":"Not Found","code":"NOT_FOUND"}})");
            const auto& operation = op.as_object();
            if (!operation.contains("requestBody")) continue;
            // Bearer routes authenticate before they validate (as /protected/users does): without
            // a token `{}` is the documented 401.
            if (!operation.at("security").as_array().empty()) {
                EXPECT_EQ(r.status, 401) << r.body;
                expect_documented(upper, std::string(path), r);
                continue;
            }
            // The handler reports exactly the issues the documented schema reports for `{}`.
            ASSERT_EQ(r.status, 400) << r.body;
            const auto documented = operation.at("responses")
                                        .at("400")
                                        .at("content")
                                        .at("application/json")
                                        .at("examples")
                                        .at("VALIDATION")
                                        .at("value");
            EXPECT_EQ(boost::json::parse(r.body), documented);
        }
    }
    EXPECT_EQ(operations, 24);
}

TEST_F(OpenApiServer, RealAnswersAreTheDocumentedOnes) {
    check("GET", "/health", "");
    check("GET", "/ready", "");
    check("GET", "/version", "");
    check("GET", "/openapi.json", "");

    const std::string alice =
        R"({"email":"alice@example.com","password":")" + std::string(kPassword) + R"("})";
    const auto registered = check("POST", "/auth/register", alice);
    ASSERT_EQ(registered.status, 201);
    check("POST", "/auth/register", alice);  // 409 EMAIL_TAKEN
    check("POST", "/auth/register", R"({"email":"x","password":"short"})");
    check("POST", "/auth/login", R"({"email":"alice@example.com","password":"Wrong-Passw0rd!"})");
    const auto login = check("POST", "/auth/login", alice);
    ASSERT_EQ(login.status, 200);
    const auto tokens = boost::json::parse(login.body).as_object();
    const std::string access(tokens.at("accessToken").as_string());
    const std::string refresh(tokens.at("refreshToken").as_string());

    const auto rotated = check("POST", "/auth/refresh", R"({"refreshToken":")" + refresh + "\"}");
    ASSERT_EQ(rotated.status, 200);
    check("POST", "/auth/refresh", R"({"refreshToken":")" + refresh + "\"}");  // REFRESH_REUSE
    check("POST", "/auth/refresh", R"({"refreshToken":"not-a-jwt-but-long-enough"})");
    check("POST", "/auth/logout", R"({"refreshToken":"not-a-jwt-but-long-enough"})");
    check("POST", "/auth/verify-email", R"({"token":"0123456789abcdef0123456789"})");
    check("POST", "/auth/reset-password",
          R"({"token":"0123456789abcdef0123456789","password":")" + std::string(kPassword) + "\"}");
    check("POST", "/auth/request-password-reset", R"({"email":"alice@example.com"})");
    check("POST", "/auth/resend-verification", R"({"email":"alice@example.com"})");

    const auto again = check("POST", "/auth/login", alice);
    const std::string token(boost::json::parse(again.body).at("accessToken").as_string());
    check("GET", "/auth/sessions", "", token);
    check("GET", "/auth/sessions", "");                           // UNAUTHORIZED
    check("GET", "/auth/sessions", "", "not.a.valid-token-123");  // JWT_ACCESS_INVALID
    check("GET", "/protected/admin/ping", "", token);             // FORBIDDEN
    check("GET", std::string("/protected/users/") + kSampleUuid, "", token,
          "/protected/users/{userId}");  // FORBIDDEN: not the owner
    check("GET", "/protected/users/not-a-uuid", "", token, "/protected/users/{userId}");
    db_->exec(R"(UPDATE "User" SET role = 'ADMIN' WHERE email = 'alice@example.com')");
    check("GET", "/protected/admin/ping", "", token);
    check("GET", std::string("/protected/users/") + kSampleUuid, "", token,
          "/protected/users/{userId}");  // USER_NOT_FOUND for an admin
    const auto id = db_->query_scalar(R"(SELECT id FROM "User" WHERE email = 'alice@example.com')");
    ASSERT_TRUE(id.has_value());
    check("GET", "/protected/users/" + *id, "", token, "/protected/users/{userId}");
    // Account security (issue #16); this server has no AUTH_MFA_ENCRYPTION_KEY.
    check("POST", "/auth/register", R"({"email":"bob@example.com","password":"P@ssw0rd1!"})");
    check("POST", "/auth/login/mfa",
          R"({"mfaToken":"not-a-known-challenge-token","code":"123456"})");  // MFA_TOKEN_INVALID
    check("POST", "/auth/mfa/totp/setup", R"({"password":")" + std::string(kPassword) + "\"}",
          token);                                                              // MFA_NOT_CONFIGURED
    check("POST", "/auth/mfa/totp/confirm", R"({"code":"123456"})", token);    // MFA_NOT_CONFIGURED
    check("POST", "/auth/mfa/recovery-codes", R"({"code":"123456"})", token);  // MFA_NOT_ENABLED
    check("POST", "/auth/change-password",
          R"({"currentPassword":"Wrong-Passw0rd!","newPassword":"Fresh-Phrase#71q"})",
          token);  // CURRENT_PASSWORD_INVALID
    check("POST", "/auth/change-password",
          R"({"currentPassword":")" + std::string(kPassword) + R"(","newPassword":"Summer2024!"})",
          token);  // PASSWORD_BREACHED
    check("GET", "/auth/events", "", token);
    check("POST", "/auth/logout-all", "", token);
    check("GET", "/auth/sessions", "", token);  // SESSION_INVALID after logout-all
    check("POST", "/auth/logout", R"({"refreshToken":")" + refresh + "\"}");

    EXPECT_GE(errors_checked_, 21);
    EXPECT_GE(bodies_checked_, 11);
}

TEST(OpenApiDocument, RateLimitedAnswersAreDocumented) {
    auto env = base_env();
    env["RATE_LIMIT_WINDOW_SEC"] = "60";
    env["RATE_LIMIT_RPM"] = "3";  // the health wait and the document take two
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto served = get(server.port(), "/openapi.json");
    ASSERT_EQ(served.status, 200);
    const auto document = boost::json::parse(served.body);
    HttpResponse limited;
    for (int i = 0; i < 5 && limited.status != 429; ++i) limited = get(server.port(), "/health");
    ASSERT_EQ(limited.status, 429);
    const auto& response = document.at("paths").at("/health").at("get").at("responses").at("429");
    const auto& examples = response.at("content").at("application/json").at("examples");
    EXPECT_EQ(examples.at("RATE_LIMITED").at("value"), boost::json::parse(limited.body));
    for (const char* header : {"Retry-After", "RateLimit-Limit", "RateLimit-Remaining",
                               "RateLimit-Reset", "RateLimit-Policy"}) {
        EXPECT_TRUE(limited.has_header(header)) << header;
        EXPECT_TRUE(response.at("headers").as_object().contains(header)) << header;
    }
}

TEST(OpenApiDocument, ServedPrerenderedWithEtagCompressionAndCacheControl) {
    ServerProcess server(base_env());
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto plain = get(server.port(), "/openapi.json");
    ASSERT_EQ(plain.status, 200);
    EXPECT_EQ(plain.header("content-type"), "application/json; charset=utf-8");
    EXPECT_EQ(plain.header("cache-control"), "public, max-age=300, stale-while-revalidate=60");
    EXPECT_EQ(plain.header("vary"), "Origin, Accept-Encoding");
    EXPECT_EQ(boost::json::parse(plain.body).at("openapi"), "3.1.0");
    const auto etag = plain.header("etag");
    ASSERT_TRUE(etag.has_value());
    EXPECT_TRUE(etag->starts_with("W/\"")) << *etag;

    const auto gzipped =
        get(server.port(), "/openapi.json", {{"Accept-Encoding", "gzip, deflate"}});
    EXPECT_EQ(gzipped.header("content-encoding"), "gzip");
    EXPECT_EQ(gunzip(gzipped.body), plain.body);
    EXPECT_EQ(gzipped.header("etag"), etag);
    const auto brotli = get(server.port(), "/openapi.json", {{"Accept-Encoding", "br"}});
    EXPECT_EQ(brotli.header("content-encoding"), "br");
    EXPECT_EQ(brotli_decompress(brotli.body), plain.body);
    // The cached compressed forms are reused: the same bytes again.
    EXPECT_EQ(get(server.port(), "/openapi.json", {{"Accept-Encoding", "br"}}).body, brotli.body);

    const auto not_modified = get(server.port(), "/openapi.json", {{"If-None-Match", *etag}});
    EXPECT_EQ(not_modified.status, 304);
    EXPECT_TRUE(not_modified.body.empty());
    Request head_request;
    head_request.method = "HEAD";
    head_request.path = "/openapi.json";
    const auto head = fetch(server.port(), head_request);
    EXPECT_EQ(head.status, 200);
    EXPECT_EQ(head.header("etag"), etag);
}

TEST(DocsUi, RedirectPageAndFilesWithTheirOwnPolicy) {
    ServerProcess server(base_env());
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    const auto redirect = get(server.port(), "/docs");
    EXPECT_EQ(redirect.status, 301);
    EXPECT_EQ(redirect.header("location"), "/docs/");
    EXPECT_EQ(redirect.header("content-security-policy"), "default-src 'none'");
    EXPECT_EQ(get(server.port(), "/docs?x=1").header("location"), "/docs/?x=1");

    const auto page = get(server.port(), "/docs/");
    ASSERT_EQ(page.status, 200);
    EXPECT_EQ(page.header("content-type"), "text/html; charset=utf-8");
    EXPECT_THAT(page.body, HasSubstr("swagger-ui-init.js"));
    EXPECT_EQ(page.header("cache-control"), "public, max-age=300");
    const auto policy = page.header("content-security-policy").value_or("");
    EXPECT_THAT(policy, HasSubstr("script-src 'self';"));
    EXPECT_THAT(policy, Not(HasSubstr("unsafe-eval")));
    EXPECT_EQ(page.header("x-content-type-options"), "nosniff");
    EXPECT_EQ(page.header("x-frame-options"), "SAMEORIGIN");
    const auto etag = page.header("etag").value_or("");
    EXPECT_EQ(get(server.port(), "/docs/", {{"If-None-Match", etag}}).status, 304);
    EXPECT_EQ(get(server.port(), "/docs/index.html").body, page.body);

    const auto init = get(server.port(), "/docs/swagger-ui-init.js");
    EXPECT_EQ(init.header("content-type"), "application/javascript; charset=utf-8");
    EXPECT_THAT(init.body, HasSubstr("../openapi.json"));

    const auto bundle = get(server.port(), "/docs/swagger-ui-bundle.js");
    ASSERT_EQ(bundle.status, 200);
    EXPECT_GT(bundle.body.size(), 1'000'000U);
    const auto compressed =
        get(server.port(), "/docs/swagger-ui-bundle.js", {{"Accept-Encoding", "gzip"}});
    EXPECT_EQ(compressed.header("content-encoding"), "gzip");
    EXPECT_EQ(gunzip(compressed.body), bundle.body);
    EXPECT_EQ(compressed.header("etag"), bundle.header("etag"));
    const auto css = get(server.port(), "/docs/swagger-ui.css", {{"Accept-Encoding", "br"}});
    EXPECT_EQ(css.header("content-encoding"), "br");
    EXPECT_THAT(brotli_decompress(css.body), Not(HasSubstr("sourceMappingURL")));
    const auto icon = get(server.port(), "/docs/favicon-32x32.png", {{"Accept-Encoding", "gzip"}});
    EXPECT_EQ(icon.header("content-type"), "image/png");
    EXPECT_FALSE(icon.has_header("content-encoding"));

    for (const char* missing : {"/docs/swagger-ui-bundle.js.map", "/docs/nope.js",
                                "/docs/swagger-ui.css/", "/docs/../openapi.json"}) {
        const auto r = get(server.port(), missing);
        EXPECT_EQ(r.status, 404) << missing;
    }
}

TEST(DocsUi, ProductionServesTheDocumentButNoDocs) {
    auto env = base_env();
    env["APP_ENV"] = "production";
    env["CORS_ORIGINS"] = "https://app.example";
    env["RATE_LIMIT_REDIS_URL"] = "redis://127.0.0.1:6399/0";
    ServerProcess server(env);
    ASSERT_TRUE(server.wait_healthy()) << server.output();
    for (const char* path : {"/docs", "/docs/", "/docs/swagger-ui-bundle.js"}) {
        const auto r = get(server.port(), path);
        EXPECT_EQ(r.status, 404) << path;
        EXPECT_EQ(r.body, R"({"error":{"message":"Not Found","code":"NOT_FOUND"}})") << path;
    }
    const auto document = get(server.port(), "/openapi.json", {{"Accept-Encoding", "gzip"}});
    EXPECT_EQ(document.status, 200);
    EXPECT_EQ(document.header("content-encoding"), "gzip");
    const auto parsed = boost::json::parse(gunzip(document.body));
    EXPECT_FALSE(parsed.at("paths").as_object().contains("/metrics"));
}

}  // namespace
}  // namespace portcullis::test
