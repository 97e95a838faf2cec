// EdDSA access tokens and secret rotation (issue #15): the RFC 8037 vectors (key thumbprint and
// signature), kid-pinned verification, algorithm confusion refused, previous HS256 secrets, and
// the verified-token cache (only while valid, never across codecs).
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include <unistd.h>
#include <array>
#include <filesystem>
#include <string>

#include "auth/ed25519_key.hpp"
#include "auth/jwt.hpp"
#include "auth/signing_keys.hpp"

namespace portcullis::auth {
namespace {

// RFC 8037 appendix A.1: the example private key, as PKCS#8 PEM.
constexpr const char* kRfcPem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIJ1hsZ3v/VpguoRK9JLsLMREScVpezJpGXA7rAMcrn9g\n"
    "-----END PRIVATE KEY-----\n";
constexpr const char* kSecret = "hs256-secret-0123456789abcdef-0123456789";
constexpr std::int64_t kNow = 1'800'000'000;

Ed25519Key rfc_key() {
    std::string error;
    auto key = Ed25519Key::from_pem(kRfcPem, error);
    EXPECT_TRUE(key) << error;
    return *key;
}

std::string hs256(std::string_view header, std::string_view payload, std::string_view secret) {
    std::string input = base64url_encode(header) + "." + base64url_encode(payload);
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac.data(), &length);
    return input + "." +
           base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), length));
}

TEST(Ed25519Key, Rfc8037Vectors) {
    const Ed25519Key key = rfc_key();
    EXPECT_EQ(key.public_x(), "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo");  // A.2
    EXPECT_EQ(key.kid(), "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k");       // A.3
    // A.4: the signature of the example JWS is deterministic.
    const std::string input = "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
    EXPECT_EQ(base64url_encode(key.sign(input)),
              "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_"
              "MuM0KAg");
    EXPECT_TRUE(key.verify(input, key.sign(input)));
    EXPECT_FALSE(key.verify(input + "x", key.sign(input)));
}

TEST(Ed25519Key, PemRoundTripAndRefusals) {
    const Ed25519Key generated = Ed25519Key::generate();
    std::string error;
    const auto loaded = Ed25519Key::from_pem(generated.private_pem(), error);
    ASSERT_TRUE(loaded) << error;
    EXPECT_EQ(loaded->kid(), generated.kid());
    EXPECT_NE(generated.kid(), rfc_key().kid());
    EXPECT_FALSE(Ed25519Key::from_pem("not a key", error));
    EXPECT_EQ(error, "not a PEM private key");
    // An EC key is a PEM private key, but not Ed25519.
    EVP_PKEY* ec = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
    ASSERT_NE(ec, nullptr);
    BIO* bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(bio, ec, nullptr, nullptr, 0, nullptr, nullptr);
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    EXPECT_FALSE(Ed25519Key::from_pem(std::string(data, static_cast<std::size_t>(size)), error));
    EXPECT_EQ(error, "not an Ed25519 key");
    BIO_free(bio);
    EVP_PKEY_free(ec);
}

TEST(SigningKeys, KeysWrittenInOneSecondLoadInTheOrderTheyWereMade) {
    const auto dir = std::filesystem::temp_directory_path() /
                     ("portcullis-keys-unit-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    std::vector<std::string> kids;
    for (int i = 0; i < 3; ++i) {
        const Ed25519Key key = Ed25519Key::generate();
        write_new_signing_key(dir.string(), key);
        kids.push_back(key.kid());
    }
    std::string error;
    const auto loaded = load_signing_keys(dir.string(), std::nullopt, error);
    ASSERT_TRUE(loaded) << error;
    ASSERT_EQ(loaded->size(), 3U);
    for (std::size_t i = 0; i < kids.size(); ++i) EXPECT_EQ((*loaded)[i].kid(), kids[i]);
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        EXPECT_EQ(std::filesystem::status(entry).permissions() & std::filesystem::perms::all,
                  std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    }
    std::filesystem::remove_all(dir);
    EXPECT_FALSE(load_signing_keys(dir.string(), std::nullopt, error));
}

TEST(EdDsaTokens, SignedByTheNewestKeyAndVerifiedByKid) {
    const Ed25519Key old_key = Ed25519Key::generate();
    const Ed25519Key new_key = Ed25519Key::generate();
    const JwtCodec codec(JwtKeys(kSecret, {}, {old_key, new_key}));
    const std::string token = codec.sign_access("user-1", "session-1", kNow, kNow + 900);
    const auto header = base64url_decode(token.substr(0, token.find('.')));
    EXPECT_EQ(*header, R"({"alg":"EdDSA","typ":"JWT","kid":")" + new_key.kid() + R"("})");
    const auto verified = codec.verify_access(token, kNow);
    ASSERT_TRUE(verified.ok());
    EXPECT_EQ(verified.claims->user_id, "user-1");
    EXPECT_EQ(verified.claims->session_id, "session-1");

    // A token of the older key still verifies (rotation); a codec without that key refuses it.
    const JwtCodec old_only(JwtKeys(kSecret, {}, {old_key}));
    const std::string older = old_only.sign_access("user-2", "session-2", kNow, kNow + 900);
    EXPECT_TRUE(codec.verify_access(older, kNow).ok());
    const JwtCodec new_only(JwtKeys(kSecret, {}, {new_key}));
    EXPECT_EQ(new_only.verify_access(older, kNow).error, JwtError::bad_signature);

    // Refresh tokens stay HS256 with the secret.
    const std::string refresh = codec.sign_refresh("user-1", "session-1", kNow, kNow + 60, "j");
    EXPECT_EQ(*base64url_decode(refresh.substr(0, refresh.find('.'))),
              R"({"alg":"HS256","typ":"JWT"})");
    EXPECT_TRUE(codec.verify_refresh(refresh, kNow).ok());
}

TEST(EdDsaTokens, AlgorithmConfusionIsRefused) {
    const Ed25519Key key = rfc_key();
    const JwtCodec codec(JwtKeys(kSecret, {}, {key}));
    const std::string payload = R"({"sub":"u","sessionId":"s","iat":)" + std::to_string(kNow) +
                                R"(,"exp":)" + std::to_string(kNow + 60) + "}";
    // HS256 "signed" with the public key bytes: checked against the HMAC secret only.
    const auto x = base64url_decode(key.public_x());
    EXPECT_EQ(codec.verify_access(hs256(R"({"alg":"HS256","typ":"JWT"})", payload, *x), kNow).error,
              JwtError::bad_signature);
    EXPECT_EQ(codec
                  .verify_access(hs256(R"({"alg":"HS256","kid":")" + key.kid() + R"("})", payload,
                                       key.public_x()),
                                 kNow)
                  .error,
              JwtError::bad_signature);
    // alg none, an unknown kid, no kid, and EdDSA at a codec without Ed25519 keys.
    const std::string unsigned_token =
        base64url_encode(R"({"alg":"none"})") + "." + base64url_encode(payload) + ".";
    EXPECT_EQ(codec.verify_access(unsigned_token, kNow).error, JwtError::wrong_algorithm);
    const std::string signed_token = codec.sign_access("u", "s", kNow, kNow + 60);
    const std::string rest = signed_token.substr(signed_token.find('.'));
    const std::string unknown_kid =
        base64url_encode(R"({"alg":"EdDSA","typ":"JWT","kid":"nope"})") + rest;
    EXPECT_EQ(codec.verify_access(unknown_kid, kNow).error, JwtError::bad_signature);
    const std::string no_kid = base64url_encode(R"({"alg":"EdDSA","typ":"JWT"})") + rest;
    EXPECT_EQ(codec.verify_access(no_kid, kNow).error, JwtError::bad_signature);
    const JwtCodec hs_only(kSecret);
    EXPECT_EQ(hs_only.verify_access(signed_token, kNow).error, JwtError::wrong_algorithm);
    // HS256 tokens of the secret keep working beside EdDSA (per-key pinning, not per-codec).
    EXPECT_TRUE(
        codec.verify_access(hs256(R"({"alg":"HS256","typ":"JWT"})", payload, kSecret), kNow).ok());
}

TEST(EdDsaTokens, TheCacheServesOnlyValidTokensOfItsOwnCodec) {
    const Ed25519Key key = Ed25519Key::generate();
    const JwtCodec codec(JwtKeys(kSecret, {}, {key}));
    const std::string token = codec.sign_access("u", "s", kNow, kNow + 60);
    ASSERT_TRUE(codec.verify_access(token, kNow).ok());
    ASSERT_TRUE(codec.verify_access(token, kNow + 10).ok());  // a hit
    EXPECT_EQ(codec.verify_access(token, kNow + 60).error, JwtError::expired);
    // Another codec (other keys) on the same thread never takes this codec's entry.
    const JwtCodec other(JwtKeys(kSecret, {}, {Ed25519Key::generate()}));
    EXPECT_FALSE(other.verify_access(token, kNow).ok());
    // A token differing only after the signature's hash slot is not a hit.
    std::string altered = token;
    altered[altered.find('.') + 3] ^= 1;
    EXPECT_FALSE(codec.verify_access(altered, kNow).ok());
}

TEST(SecretRotation, PreviousSecretsVerifyButNeverSign) {
    const std::string old_secret = "old-secret-0123456789abcdef-0123456789ab";
    const JwtCodec before(old_secret);
    const std::string access = before.sign_access("u", "s", kNow, kNow + 60);
    const std::string refresh = before.sign_refresh("u", "s", kNow, kNow + 60, "j");
    const JwtCodec after(JwtKeys(kSecret, {old_secret}));
    EXPECT_TRUE(after.verify_access(access, kNow).ok());
    EXPECT_TRUE(after.verify_refresh(refresh, kNow).ok());
    // New tokens are the current secret's.
    const JwtCodec current_only(kSecret);
    EXPECT_TRUE(
        current_only.verify_access(after.sign_access("u", "s", kNow, kNow + 60), kNow).ok());
    // Without the previous secret the old tokens fail.
    EXPECT_EQ(current_only.verify_access(access, kNow).error, JwtError::bad_signature);
    EXPECT_EQ(current_only.verify_refresh(refresh, kNow).error, JwtError::bad_signature);
}

}  // namespace
}  // namespace portcullis::auth
