// Route matching rules of contract section 1 and decodeURIComponent semantics.
#include <gtest/gtest.h>

#include "http/error.hpp"
#include "http/router.hpp"

namespace portcullis::http {
namespace {

Handler noop() {
    return [](Request&) -> Awaitable<Response> { co_return Response::empty(204); };
}

Router make_router() {
    Router router;
    router.add({"GET", "/health", noop()});
    router.add({"POST", "/auth/login", noop()});
    router.add({"GET", "/protected/users/:userId", noop()});
    router.add({"GET", "/", noop()});
    return router;
}

TEST(Router, LiteralPathsMatchCaseInsensitivelyWithOneTrailingSlash) {
    const auto router = make_router();
    EXPECT_NE(router.match("GET", "/health").route, nullptr);
    EXPECT_NE(router.match("GET", "/HeAlTh").route, nullptr);
    EXPECT_NE(router.match("GET", "/health/").route, nullptr);
    EXPECT_EQ(router.match("GET", "/health//").route, nullptr);
    EXPECT_EQ(router.match("GET", "//health").route, nullptr);
    EXPECT_EQ(router.match("GET", "/health%20").route, nullptr);
    EXPECT_EQ(router.match("GET", "/healthz").route, nullptr);
    EXPECT_EQ(router.match("GET", "health").route, nullptr);
    EXPECT_EQ(router.match("GET", "").route, nullptr);
    EXPECT_NE(router.match("GET", "/").route, nullptr);
}

TEST(Router, MethodsMustMatchAndHeadUsesGet) {
    const auto router = make_router();
    EXPECT_EQ(router.match("POST", "/health").route, nullptr);
    EXPECT_NE(router.match("HEAD", "/health").route, nullptr);
    EXPECT_EQ(router.match("GET", "/auth/login").route, nullptr);
    EXPECT_NE(router.match("POST", "/AUTH/Login/").route, nullptr);
    EXPECT_EQ(router.match("get", "/health").route, nullptr);
}

TEST(Router, ParametersAreCapturedAndDecoded) {
    const auto router = make_router();
    auto m = router.match("GET", "/protected/users/AbC%20d");
    ASSERT_NE(m.route, nullptr);
    EXPECT_EQ(m.route->pattern, "/protected/users/:userId");
    ASSERT_EQ(m.params.size(), 1u);
    EXPECT_EQ(m.params[0].first, "userId");
    EXPECT_EQ(m.params[0].second, "AbC d");
    EXPECT_FALSE(m.undecodable_param);

    EXPECT_EQ(router.match("GET", "/protected/users/").route, nullptr);
    EXPECT_EQ(router.match("GET", "/protected/users/a/b").route, nullptr);
    EXPECT_NE(router.match("GET", "/protected/users/x/").route, nullptr);
}

TEST(Router, UndecodableParameterIsReportedWithItsRawText) {
    const auto router = make_router();
    auto m = router.match("GET", "/protected/users/%E0%A4%A");
    ASSERT_NE(m.route, nullptr);
    ASSERT_TRUE(m.undecodable_param);
    EXPECT_EQ(*m.undecodable_param, "%E0%A4%A");
}

TEST(DecodeUriComponent, FollowsJavaScript) {
    EXPECT_EQ(decode_uri_component("plain"), "plain");
    EXPECT_EQ(decode_uri_component("a%2Fb%3f"), "a/b?");
    EXPECT_EQ(decode_uri_component("%C3%A4"), "\xC3\xA4");
    EXPECT_EQ(decode_uri_component("a+b"), "a+b");
    EXPECT_FALSE(decode_uri_component("%"));
    EXPECT_FALSE(decode_uri_component("%4"));
    EXPECT_FALSE(decode_uri_component("%zz"));
    EXPECT_FALSE(decode_uri_component("%E0%A4%A"));
    EXPECT_FALSE(decode_uri_component("%C3"));        // truncated sequence
    EXPECT_FALSE(decode_uri_component("%ED%A0%80"));  // surrogate
    EXPECT_FALSE(decode_uri_component("%C0%AF"));     // overlong
}

}  // namespace
}  // namespace portcullis::http
