// Outbox tokens sealed with AES-256-GCM under an HKDF-SHA256 key (issue #18 item 10): they open
// with the same secret and row only, reveal nothing of the token, and values stored in plain by an
// earlier release still read as tokens.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "auth/one_time_token.hpp"
#include "auth/token_sealer.hpp"

namespace portcullis::auth {
namespace {

constexpr std::string_view kSecret = "test-refresh-secret-fedcba9876543210-fedcba98";
constexpr std::string_view kRow = "3f1c2a9e-8b7d-4c6a-9e5f-1a2b3c4d5e6f";

// Whether `text` contains any 8-character run of `token`.
bool shares_a_run(const std::string& text, const std::string& token) {
    for (std::size_t i = 0; i + 8 <= token.size(); ++i) {
        if (text.find(token.substr(i, 8)) != std::string::npos) return true;
    }
    return false;
}

TEST(TokenSealer, SealedTokensOpenWithTheSameSecretAndRow) {
    const TokenSealer sealer(kSecret);
    const std::string token = new_one_time_token();
    const std::string sealed = sealer.seal(token, kRow);
    EXPECT_TRUE(sealed.starts_with("v1:"));
    EXPECT_EQ(sealed.size(), 98u) << sealed;  // "v1:" + base64url of 12 + 43 + 16 bytes
    EXPECT_FALSE(shares_a_run(sealed, token));
    EXPECT_EQ(sealer.open(sealed, kRow), token);
    // Another instance with the same secret (another replica, or after a restart) opens it too.
    EXPECT_EQ(TokenSealer(kSecret).open(sealed, kRow), token);
}

TEST(TokenSealer, EverySealUsesAFreshNonce) {
    const TokenSealer sealer(kSecret);
    const std::string token = new_one_time_token();
    std::set<std::string> seen;
    for (int i = 0; i < 100; ++i) seen.insert(sealer.seal(token, kRow));
    EXPECT_EQ(seen.size(), 100u);
}

TEST(TokenSealer, AnotherSecretAnotherRowOrAnyChangeDoesNotOpen) {
    const TokenSealer sealer(kSecret);
    const std::string sealed = sealer.seal(new_one_time_token(), kRow);
    EXPECT_EQ(TokenSealer("another-secret-0123456789abcdef-0123456789").open(sealed, kRow),
              std::nullopt);
    EXPECT_EQ(sealer.open(sealed, "4f1c2a9e-8b7d-4c6a-9e5f-1a2b3c4d5e6f"), std::nullopt);
    for (std::size_t i = 3; i < sealed.size(); ++i) {
        std::string altered = sealed;
        altered[i] = altered[i] == 'A' ? 'B' : 'A';
        EXPECT_EQ(sealer.open(altered, kRow), std::nullopt) << "position " << i;
    }
    EXPECT_EQ(sealer.open(sealed.substr(0, sealed.size() - 1), kRow), std::nullopt);
    EXPECT_EQ(sealer.open("v1:", kRow), std::nullopt);
    EXPECT_EQ(sealer.open("v1:not base64!", kRow), std::nullopt);
}

TEST(TokenSealer, PlainTokensFromEarlierReleasesReadAsTheyAre) {
    const TokenSealer sealer(kSecret);
    const std::string token = new_one_time_token();
    EXPECT_EQ(sealer.open(token, kRow), token);
}

// Computed independently with Python's `cryptography` (HKDF-SHA256, no salt, info
// "portcullis email-outbox token v1"; AES-256-GCM, nonce 00..0b, the row id as associated data):
// the stored format and key derivation stay readable across releases.
TEST(TokenSealer, OpensAValueSealedByAnIndependentImplementation) {
    const TokenSealer sealer(kSecret);
    EXPECT_EQ(
        sealer.open("v1:AAECAwQFBgcICQoLrTO-SdJoyNpisldNvmZCr7LvU5B-iFgpazNEX2zFdtIsQB7G5WoTVlz0"
                    "iEv8oZwSnu6-AH-B2ggCoF8",
                    kRow),
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8");
}

}  // namespace
}  // namespace portcullis::auth
