// Envelopes, Vary merging, ETags and the small decisions of the standard middlewares.
#include <gtest/gtest.h>

#include "http/middlewares.hpp"
#include "http/response.hpp"
#include "util/strings.hpp"

namespace portcullis::http {
namespace {

TEST(ErrorEnvelope, OmitsEmptyCodeAndDetails) {
    EXPECT_EQ(Response::error(404, "Not Found").body, R"({"error":{"message":"Not Found"}})");
    EXPECT_EQ(Response::error(409, "Email already registered", "EMAIL_TAKEN").body,
              R"({"error":{"message":"Email already registered","code":"EMAIL_TAKEN"}})");
    EXPECT_EQ(
        Response::error(400, "Invalid request payload", "VALIDATION", "[]").body,
        R"({"error":{"message":"Invalid request payload","code":"VALIDATION","details":[]}})");
    EXPECT_EQ(Response::error(400, "say \"hi\"").body, R"({"error":{"message":"say \"hi\""}})");
    const auto r = Response::error(500, "x");
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(r.headers.get("content-type"), "application/json; charset=utf-8");
}

TEST(Vary, MergesWithoutDuplicates) {
    Response r;
    add_vary(r, "Origin");
    add_vary(r, "Accept-Encoding");
    add_vary(r, "origin");
    EXPECT_EQ(r.headers.get("Vary"), "Origin, Accept-Encoding");
    Response star;
    star.headers.set("Vary", "*");
    add_vary(star, "Origin");
    EXPECT_EQ(star.headers.get("Vary"), "*");
}

TEST(ResponseHeaders, SetReplacesCaseInsensitivelyAndEraseRemoves) {
    ResponseHeaders h;
    h.set_static("Content-Type", "text/plain");
    h.set("content-type", "application/json");
    EXPECT_EQ(h.entries().size(), 1u);
    EXPECT_EQ(h.get("CONTENT-TYPE"), "application/json");
    h.erase("Content-Type");
    EXPECT_FALSE(h.contains("content-type"));
}

// Many names, so several share a presence bit: lookups must still tell them apart, and an erase
// must not hide the names that remain.
TEST(ResponseHeaders, ManyNamesStayFindableThroughSetsAndErases) {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (char c = 'a'; c <= 'z'; ++c) {
            out.push_back(std::string("X-") + c);
            out.push_back(std::string("X-Long-Name-") + c + "-Suffix");
        }
        return out;
    }();
    ResponseHeaders h;
    for (const auto& name : names) h.set(name, "v-" + name);
    ASSERT_EQ(h.entries().size(), names.size());
    for (const auto& name : names) {
        EXPECT_TRUE(h.contains(util::to_lower(name))) << name;
        EXPECT_EQ(h.get(name), "v-" + name);
    }
    // Short names are erased, then one long name: the long ones share presence bits, so the
    // erase must not clear a bit another name still needs.
    for (std::size_t i = 0; i < names.size(); i += 2) h.erase(names[i]);
    h.erase("X-Long-Name-z-Suffix");
    for (std::size_t i = 0; i + 1 < names.size(); ++i) {
        EXPECT_EQ(h.contains(names[i]), i % 2 == 1) << names[i];
    }
    EXPECT_FALSE(h.contains("X-Long-Name-z-Suffix"));
    EXPECT_FALSE(h.contains("X-Absent"));
    EXPECT_FALSE(h.contains(""));
    h.set_static("x-long-name-b-suffix", "again");  // replaces, does not duplicate
    EXPECT_EQ(h.get("X-LONG-NAME-B-SUFFIX"), "again");
    EXPECT_EQ(h.entries().size(), names.size() / 2 - 1);
}

TEST(WeakEtag, MatchesExpressForKnownBodies) {
    EXPECT_EQ(weak_etag(R"({"status":"ok"})"), "W/\"f-VaSQ4oDUiZblZNAEkkN+sX+q3Sg\"");
    EXPECT_EQ(weak_etag(""), "W/\"0-2jmj7l5rSw0yVb/vlWAYkK/YBwk\"");
}

TEST(IfNoneMatch, ComparesWeaklyAndAcceptsListsAndStar) {
    const std::string tag = "W/\"f-abc\"";
    EXPECT_TRUE(if_none_match_matches("W/\"f-abc\"", tag));
    EXPECT_TRUE(if_none_match_matches("\"f-abc\"", tag));
    EXPECT_TRUE(if_none_match_matches("\"x\", W/\"f-abc\"", tag));
    EXPECT_TRUE(if_none_match_matches("*", tag));
    EXPECT_FALSE(if_none_match_matches("\"f-abd\"", tag));
    EXPECT_FALSE(if_none_match_matches("", tag));
}

TEST(Compressible, FollowsTheContractList) {
    EXPECT_TRUE(is_compressible_type("application/json; charset=utf-8"));
    EXPECT_TRUE(is_compressible_type("TEXT/HTML"));
    EXPECT_TRUE(is_compressible_type("application/javascript"));
    EXPECT_TRUE(is_compressible_type("application/xml"));
    EXPECT_FALSE(is_compressible_type("image/png"));
    EXPECT_FALSE(is_compressible_type(""));
}

TEST(CorsDecision, FollowsContract38) {
    const CorsOptions dev_open{false, {}};
    const CorsOptions dev_list{false, {"https://a.example"}};
    const CorsOptions prod{true, {"https://a.example"}};
    const CorsOptions prod_empty{true, {}};
    EXPECT_TRUE(cors_origin_allowed(dev_open, "https://x.example", true));
    EXPECT_TRUE(cors_origin_allowed(dev_list, "https://a.example", true));
    EXPECT_FALSE(cors_origin_allowed(dev_list, "https://x.example", true));
    EXPECT_TRUE(cors_origin_allowed(prod, "https://a.example", true));
    EXPECT_FALSE(cors_origin_allowed(prod, "https://a.example/", true));
    EXPECT_FALSE(cors_origin_allowed(prod, "null", true));
    EXPECT_FALSE(cors_origin_allowed(prod, "", true));
    EXPECT_TRUE(cors_origin_allowed(prod, "", false));
    EXPECT_FALSE(cors_origin_allowed(prod_empty, "https://a.example", true));
}

TEST(JsonContentType, OnlyApplicationJson) {
    EXPECT_TRUE(is_json_content_type("application/json"));
    EXPECT_TRUE(is_json_content_type("Application/JSON; charset=utf-8"));
    EXPECT_FALSE(is_json_content_type("application/vnd.api+json"));
    EXPECT_FALSE(is_json_content_type("text/plain"));
    EXPECT_FALSE(is_json_content_type(""));
}

}  // namespace
}  // namespace portcullis::http
