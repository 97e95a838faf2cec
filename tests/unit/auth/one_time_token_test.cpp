// Pins one-time tokens (43 base64url characters, unique) and the SHA-256 hex digests stored for
// them.
#include "auth/one_time_token.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "auth/jwt.hpp"

namespace portcullis::auth {
namespace {

TEST(AuthOneTimeToken, Shape) {
    for (int i = 0; i < 100; ++i) {
        const std::string token = new_one_time_token();
        ASSERT_EQ(token.size(), 43U);
        for (const char c : token) {
            const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '_';
            EXPECT_TRUE(ok) << token;
        }
        const auto bytes = base64url_decode(token);
        ASSERT_TRUE(bytes.has_value());
        EXPECT_EQ(bytes->size(), 32U);
    }
}

TEST(AuthOneTimeToken, Unique) {
    std::set<std::string> seen;
    for (int i = 0; i < 10000; ++i) {
        EXPECT_TRUE(seen.insert(new_one_time_token()).second);
    }
}

TEST(AuthOneTimeToken, Sha256Hex) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"),
              "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    EXPECT_EQ(sha256_hex(std::string("a\0b", 3)), sha256_hex(std::string_view("a\0b", 3)));
    EXPECT_NE(sha256_hex(std::string("a\0b", 3)), sha256_hex("a"));
    const std::string digest = sha256_hex(new_one_time_token());
    EXPECT_EQ(digest.size(), 64U);
    EXPECT_EQ(digest.find_first_not_of("0123456789abcdef"), std::string::npos);
}

}  // namespace
}  // namespace portcullis::auth
