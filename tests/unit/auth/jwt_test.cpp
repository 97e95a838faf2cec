// Pins the JWT codec: the reference's tokens (tests/vectors/jwt.json), the emitted header and
// claim order, expiry and nbf edges, the HS256 pin, and garbage that must never crash.
#include "auth/jwt.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <boost/json.hpp>
#include <ctime>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>

#include "auth/one_time_token.hpp"

namespace portcullis::auth {
namespace {

constexpr const char* kSecret = "unit-test-secret-0123456789";

boost::json::value read_vectors(const std::string& name) {
    std::ifstream in(std::string(PORTCULLIS_VECTORS_DIR) + "/" + name);
    std::stringstream text;
    text << in.rdbuf();
    return boost::json::parse(text.str());
}

std::string b64(std::string_view text) {
    return base64url_encode(text);
}

// A token with arbitrary header and payload JSON text, HMAC-SHA256-signed with `secret`.
std::string forge(std::string_view header, std::string_view payload,
                  std::string_view secret = kSecret) {
    std::string input = b64(header) + "." + b64(payload);
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int length = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac.data(), &length);
    return input + "." + b64(std::string_view(reinterpret_cast<const char*>(mac.data()), length));
}

std::string forge_hs256(std::string_view payload) {
    return forge(R"({"alg":"HS256","typ":"JWT"})", payload);
}

// The decoded text of one part (0 header, 1 payload) of a token.
std::string part_text(const std::string& token, int index) {
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    const std::string part =
        index == 0 ? token.substr(0, first) : token.substr(first + 1, second - first - 1);
    return base64url_decode(part).value_or("<undecodable>");
}

TEST(AuthJwt, ReferenceVectorsHaveTheirStatedOutcome) {
    const auto doc = read_vectors("jwt.json");
    const JwtCodec access(std::string(doc.at("access_secret").as_string()));
    const JwtCodec refresh(std::string(doc.at("refresh_secret").as_string()));
    // 2026-01-01T01:00:00Z: after every `expired` vector's exp, long before the valid ones'.
    constexpr std::int64_t kNow = 1767229200;
    std::size_t checked = 0;
    for (const auto& item : doc.at("tokens").as_array()) {
        const auto& v = item.as_object();
        const std::string token(v.at("token").as_string());
        const std::string expect(v.at("expect").as_string());
        const std::string kind(v.at("kind").as_string());
        const JwtCodec& codec = v.at("secret").as_string() == "access" ? access : refresh;
        SCOPED_TRACE(kind + " " + expect + " " +
                     (v.contains("note") ? std::string(v.at("note").as_string()) : ""));
        if (v.contains("sha256_hex")) {
            EXPECT_EQ(sha256_hex(token), v.at("sha256_hex").as_string());
        }
        const boost::json::object* claims =
            v.contains("claims") ? &v.at("claims").as_object() : nullptr;
        if (kind == "access") {
            for (const std::int64_t now : {kNow, static_cast<std::int64_t>(std::time(nullptr))}) {
                const auto result = codec.verify_access(token, now);
                if (expect == "valid") {
                    ASSERT_TRUE(result.ok());
                    EXPECT_EQ(result.claims->user_id, "3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f");
                    EXPECT_EQ(result.claims->session_id, "9a8b7c6d-5e4f-4a3b-2c1d-0e1f2a3b4c5d");
                    EXPECT_EQ(result.claims->iat, 1767225600);
                    EXPECT_EQ(result.claims->exp, 4102444800);
                    if (claims != nullptr) {
                        EXPECT_EQ(result.claims->user_id, claims->at("sub").as_string());
                        EXPECT_EQ(result.claims->session_id, claims->at("sessionId").as_string());
                        EXPECT_EQ(result.claims->iat, claims->at("iat").to_number<std::int64_t>());
                        EXPECT_EQ(result.claims->exp, claims->at("exp").to_number<std::int64_t>());
                    }
                } else if (expect == "expired") {
                    EXPECT_FALSE(result.ok());
                    EXPECT_EQ(result.error, JwtError::expired);
                } else {
                    EXPECT_FALSE(result.ok());
                    EXPECT_NE(result.error, JwtError::expired);
                }
            }
        } else {
            for (const std::int64_t now : {kNow, static_cast<std::int64_t>(std::time(nullptr))}) {
                const auto result = codec.verify_refresh(token, now);
                if (expect == "valid") {
                    ASSERT_TRUE(result.ok());
                    ASSERT_NE(claims, nullptr);
                    EXPECT_EQ(result.claims->user_id, claims->at("sub").as_string());
                    EXPECT_EQ(result.claims->session_id, claims->at("sid").as_string());
                    EXPECT_EQ(result.claims->iat, claims->at("iat").to_number<std::int64_t>());
                    EXPECT_EQ(result.claims->exp, claims->at("exp").to_number<std::int64_t>());
                    EXPECT_EQ(result.claims->jti, claims->at("jti").as_string());
                } else if (expect == "expired") {
                    EXPECT_FALSE(result.ok());
                    EXPECT_EQ(result.error, JwtError::expired);
                } else {
                    EXPECT_FALSE(result.ok());
                    EXPECT_NE(result.error, JwtError::expired);
                }
            }
            // Refresh needs the sid of any decodable token, expired ones included (contract 5.4).
            EXPECT_EQ(peek_session_id(token), "9a8b7c6d-5e4f-4a3b-2c1d-0e1f2a3b4c5d");
        }
        ++checked;
    }
    EXPECT_EQ(checked, 9U);
}

TEST(AuthJwt, ReferenceInvalidVectorsFailForTheRightReason) {
    const auto doc = read_vectors("jwt.json");
    const JwtCodec access(std::string(doc.at("access_secret").as_string()));
    const auto& tokens = doc.at("tokens").as_array();
    const auto token = [&](std::size_t i) {
        return std::string(tokens.at(i).at("token").as_string());
    };
    EXPECT_EQ(access.verify_access(token(4), 1767229200).error, JwtError::bad_signature);
    EXPECT_EQ(access.verify_access(token(5), 1767229200).error, JwtError::bad_signature);
    EXPECT_EQ(access.verify_access(token(6), 1767229200).error, JwtError::wrong_algorithm);
    EXPECT_EQ(access.verify_access(token(7), 1767229200).error, JwtError::wrong_algorithm);
    // The legacy `userId` claim names the user when `sub` is absent.
    const auto legacy = access.verify_access(token(8), 1767229200);
    ASSERT_TRUE(legacy.ok());
    EXPECT_EQ(legacy.claims->user_id, "3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f");
}

TEST(AuthJwt, TokensOfOneKindAreRefusedAsTheOther) {
    const auto doc = read_vectors("jwt.json");
    const auto& tokens = doc.at("tokens").as_array();
    const std::string access_token(tokens.at(0).at("token").as_string());
    const std::string refresh_token(tokens.at(1).at("token").as_string());
    // Even with the other kind's secret, the claims do not fit.
    const JwtCodec access(std::string(doc.at("access_secret").as_string()));
    const JwtCodec refresh(std::string(doc.at("refresh_secret").as_string()));
    EXPECT_EQ(access.verify_refresh(access_token, 1767229200).error, JwtError::missing_claims);
    EXPECT_EQ(refresh.verify_access(refresh_token, 1767229200).error, JwtError::missing_claims);
    EXPECT_EQ(access.verify_access(refresh_token, 1767229200).error, JwtError::bad_signature);
    EXPECT_EQ(refresh.verify_refresh(access_token, 1767229200).error, JwtError::bad_signature);
    EXPECT_EQ(peek_session_id(access_token), std::nullopt);
}

TEST(AuthJwt, AccessRoundTripAndExactPayloadText) {
    const JwtCodec codec(kSecret);
    const std::string token = codec.sign_access("user-1", "session-1", 1000, 1900);
    EXPECT_EQ(part_text(token, 0), R"({"alg":"HS256","typ":"JWT"})");
    EXPECT_EQ(part_text(token, 1),
              R"({"sub":"user-1","sessionId":"session-1","iat":1000,"exp":1900})");
    const auto result = codec.verify_access(token, 1000);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.claims->user_id, "user-1");
    EXPECT_EQ(result.claims->session_id, "session-1");
    EXPECT_EQ(result.claims->iat, 1000);
    EXPECT_EQ(result.claims->exp, 1900);
    // Same inputs, same bytes: the signature is deterministic.
    EXPECT_EQ(token, codec.sign_access("user-1", "session-1", 1000, 1900));
    EXPECT_EQ(token.find('='), std::string::npos);
}

TEST(AuthJwt, RefreshRoundTripAndExactPayloadText) {
    const JwtCodec codec(kSecret);
    const std::string token = codec.sign_refresh("u", "s", 1767225600, 1767830400, "j-1");
    EXPECT_EQ(part_text(token, 0), R"({"alg":"HS256","typ":"JWT"})");
    EXPECT_EQ(part_text(token, 1),
              R"({"sub":"u","sid":"s","iat":1767225600,"exp":1767830400,"jti":"j-1"})");
    const auto result = codec.verify_refresh(token, 1767225600);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.claims->user_id, "u");
    EXPECT_EQ(result.claims->session_id, "s");
    EXPECT_EQ(result.claims->jti, "j-1");
    EXPECT_EQ(result.claims->exp, 1767830400);
    EXPECT_EQ(peek_session_id(token), "s");
}

TEST(AuthJwt, ReproducesTheReferenceTokenBytes) {
    // The reference's valid access vector, signed again: same header, claim order and MAC.
    const auto doc = read_vectors("jwt.json");
    const JwtCodec access(std::string(doc.at("access_secret").as_string()));
    const JwtCodec refresh(std::string(doc.at("refresh_secret").as_string()));
    const auto& tokens = doc.at("tokens").as_array();
    EXPECT_EQ(access.sign_access("3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f",
                                 "9a8b7c6d-5e4f-4a3b-2c1d-0e1f2a3b4c5d", 1767225600, 4102444800),
              tokens.at(0).at("token").as_string());
    EXPECT_EQ(refresh.sign_refresh("3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f",
                                   "9a8b7c6d-5e4f-4a3b-2c1d-0e1f2a3b4c5d", 1767225600, 4102444800,
                                   "14e88071-60c9-405d-87ae-14c9c18232f1"),
              tokens.at(1).at("token").as_string());
}

TEST(AuthJwt, EscapesClaimText) {
    const JwtCodec codec(kSecret);
    const std::string token = codec.sign_access("a\"b\\c", "s\n", 1, 2);
    EXPECT_EQ(part_text(token, 1), R"({"sub":"a\"b\\c","sessionId":"s\n","iat":1,"exp":2})");
    const auto result = codec.verify_access(token, 1);
    ASSERT_TRUE(result.ok());
    EXPECT_EQ(result.claims->user_id, "a\"b\\c");
    EXPECT_EQ(result.claims->session_id, "s\n");
}

TEST(AuthJwt, ExpiredExactlyAtExpWithoutTolerance) {
    const JwtCodec codec(kSecret);
    const std::string access = codec.sign_access("u", "s", 1000, 1900);
    EXPECT_TRUE(codec.verify_access(access, 1899).ok());
    EXPECT_EQ(codec.verify_access(access, 1900).error, JwtError::expired);
    EXPECT_EQ(codec.verify_access(access, 1901).error, JwtError::expired);
    const std::string refresh = codec.sign_refresh("u", "s", 1000, 1900, "j");
    EXPECT_TRUE(codec.verify_refresh(refresh, 1899).ok());
    EXPECT_EQ(codec.verify_refresh(refresh, 1900).error, JwtError::expired);
    // A lifetime of "0" gives exp == iat: expired at once.
    EXPECT_EQ(codec.verify_access(codec.sign_access("u", "s", 1000, 1000), 1000).error,
              JwtError::expired);
}

TEST(AuthJwt, FractionalExpCompares) {
    const JwtCodec codec(kSecret);
    const std::string token = forge_hs256(R"({"sub":"u","sessionId":"s","iat":1,"exp":1000.5})");
    const auto ok = codec.verify_access(token, 1000);
    ASSERT_TRUE(ok.ok());
    EXPECT_EQ(ok.claims->exp, 1000);
    EXPECT_EQ(codec.verify_access(token, 1001).error, JwtError::expired);
}

TEST(AuthJwt, NotBeforeIsHonored) {
    const JwtCodec codec(kSecret);
    const std::string token =
        forge_hs256(R"({"sub":"u","sessionId":"s","iat":1,"nbf":500,"exp":900})");
    EXPECT_EQ(codec.verify_access(token, 499).error, JwtError::not_yet_valid);
    EXPECT_TRUE(codec.verify_access(token, 500).ok());
    EXPECT_EQ(codec.verify_access(token, 900).error, JwtError::expired);
    // nbf is checked before exp, as jsonwebtoken does.
    const std::string both =
        forge_hs256(R"({"sub":"u","sessionId":"s","iat":1,"nbf":500,"exp":400})");
    EXPECT_EQ(codec.verify_access(both, 450).error, JwtError::not_yet_valid);
}

TEST(AuthJwt, TokensWithoutExpOrIatAreRefused) {
    // Decisions E.2: every token either service mints carries both; one without them would never
    // expire (jsonwebtoken's reading) and is refused instead.
    const JwtCodec codec(kSecret);
    EXPECT_EQ(codec.verify_access(forge_hs256(R"({"sub":"u","sessionId":"s","iat":1})"), 2).error,
              JwtError::missing_claims);
    EXPECT_EQ(codec.verify_access(forge_hs256(R"({"sub":"u","sessionId":"s","exp":9})"), 2).error,
              JwtError::missing_claims);
    EXPECT_EQ(
        codec.verify_refresh(forge_hs256(R"({"sub":"u","sid":"s","iat":1,"jti":"j"})"), 2).error,
        JwtError::missing_claims);
    EXPECT_EQ(
        codec.verify_refresh(forge_hs256(R"({"sub":"u","sid":"s","exp":9,"jti":"j"})"), 2).error,
        JwtError::missing_claims);
    EXPECT_TRUE(
        codec.verify_access(forge_hs256(R"({"sub":"u","sessionId":"s","iat":1,"exp":9})"), 2).ok());
}

TEST(AuthJwt, HugeExpIsFarFuture) {
    const JwtCodec codec(kSecret);
    // Huge exp values (beyond int64) are far future, not errors.
    const std::string huge =
        forge_hs256(R"({"sub":"u","sessionId":"s","iat":1,"exp":18446744073709551615})");
    EXPECT_TRUE(codec.verify_access(huge, 2000000000).ok());
    const std::string huger = forge_hs256(R"({"sub":"u","sessionId":"s","iat":1,"exp":1e300})");
    const auto far = codec.verify_access(huger, 2000000000);
    ASSERT_TRUE(far.ok());
    EXPECT_EQ(far.claims->exp, std::numeric_limits<std::int64_t>::max());
}

TEST(AuthJwt, NonNumericTimeClaimsAreMalformed) {
    const JwtCodec codec(kSecret);
    for (const char* payload : {
             R"({"sub":"u","sessionId":"s","exp":"4102444800"})",
             R"({"sub":"u","sessionId":"s","exp":null})",
             R"({"sub":"u","sessionId":"s","exp":true})",
             R"({"sub":"u","sessionId":"s","nbf":"0"})",
             R"({"sub":"u","sessionId":"s","nbf":[1]})",
             R"({"sub":"u","sessionId":"s","iat":"1"})",
             R"({"sub":"u","sessionId":"s","iat":{}})",
         }) {
        SCOPED_TRACE(payload);
        EXPECT_EQ(codec.verify_access(forge_hs256(payload), 1000).error, JwtError::malformed);
    }
}

TEST(AuthJwt, AccessClaimRules) {
    const JwtCodec codec(kSecret);
    // Each payload gets valid `iat` and `exp` appended: only the named claims are under test.
    const auto verify = [&](std::string payload) {
        payload.insert(payload.size() - 1, R"(,"iat":0,"exp":9)");
        return codec.verify_access(forge_hs256(payload), 1);
    };
    // B.15: sessionId is required and must be a string.
    EXPECT_EQ(verify(R"({"sub":"u"})").error, JwtError::missing_claims);
    EXPECT_EQ(verify(R"({"sub":"u","sessionId":7})").error, JwtError::missing_claims);
    EXPECT_EQ(verify(R"({"sub":"u","sessionId":null})").error, JwtError::missing_claims);
    EXPECT_EQ(verify(R"({"sessionId":"s"})").error, JwtError::missing_claims);
    EXPECT_EQ(verify(R"({"sub":"","sessionId":"s"})").error, JwtError::missing_claims);
    EXPECT_EQ(verify(R"({"userId":5,"sessionId":"s"})").error, JwtError::missing_claims);
    // `sub ?? userId`: a null sub falls back to userId; a non-null, non-string sub does not.
    const auto fallback = verify(R"({"sub":null,"userId":"legacy","sessionId":"s"})");
    ASSERT_TRUE(fallback.ok());
    EXPECT_EQ(fallback.claims->user_id, "legacy");
    EXPECT_EQ(verify(R"({"sub":42,"userId":"legacy","sessionId":"s"})").error,
              JwtError::missing_claims);
    // sub wins over userId when both are there.
    const auto both = verify(R"({"sub":"new","userId":"old","sessionId":"s"})");
    ASSERT_TRUE(both.ok());
    EXPECT_EQ(both.claims->user_id, "new");
    EXPECT_EQ(both.claims->iat, 0);
    // Unknown claims and extra header fields are ignored.
    const std::string extra =
        forge(R"({"typ":"JWT","alg":"HS256","kid":"k1"})",
              R"({"sub":"u","sessionId":"s","iss":"x","aud":["a"],"iat":0,"exp":9})");
    EXPECT_TRUE(codec.verify_access(extra, 1).ok());
}

TEST(AuthJwt, RefreshClaimRules) {
    const JwtCodec codec(kSecret);
    const auto verify = [&](std::string payload) {
        payload.insert(payload.size() - 1, R"(,"iat":0,"exp":9)");
        return codec.verify_refresh(forge_hs256(payload), 1);
    };
    EXPECT_EQ(verify(R"({"sub":"u"})").error, JwtError::missing_claims);
    EXPECT_EQ(verify(R"({"sid":"s"})").error, JwtError::missing_claims);
    EXPECT_EQ(verify(R"({"sub":"u","sid":1})").error, JwtError::missing_claims);
    EXPECT_EQ(verify(R"({"userId":"u","sid":"s"})").error, JwtError::missing_claims);
    const auto no_jti = verify(R"({"sub":"u","sid":"s"})");
    ASSERT_TRUE(no_jti.ok());
    EXPECT_EQ(no_jti.claims->jti, "");
    EXPECT_EQ(no_jti.claims->exp, 9);
}

TEST(AuthJwt, OnlyHs256IsAccepted) {
    const JwtCodec codec(kSecret);
    const char* payload = R"({"sub":"u","sessionId":"s"})";
    for (const char* header : {
             R"({"alg":"none","typ":"JWT"})",
             R"({"alg":"HS384","typ":"JWT"})",
             R"({"alg":"HS512","typ":"JWT"})",
             R"({"alg":"RS256","typ":"JWT"})",
             R"({"alg":"hs256","typ":"JWT"})",
             R"({"typ":"JWT"})",
             R"({"alg":null})",
             R"({"alg":["HS256"]})",
         }) {
        SCOPED_TRACE(header);
        // HMAC-SHA256-signed anyway: the algorithm alone decides.
        EXPECT_EQ(codec.verify_access(forge(header, payload), 1).error, JwtError::wrong_algorithm);
    }
    // `alg: none` with an empty signature (the classic downgrade).
    const std::string unsigned_token =
        b64(R"({"alg":"none","typ":"JWT"})") + "." + b64(payload) + ".";
    EXPECT_EQ(codec.verify_access(unsigned_token, 1).error, JwtError::wrong_algorithm);
    // HS256 header with an empty signature.
    const std::string empty_sig = b64(R"({"alg":"HS256","typ":"JWT"})") + "." + b64(payload) + ".";
    EXPECT_EQ(codec.verify_access(empty_sig, 1).error, JwtError::bad_signature);
}

TEST(AuthJwt, TamperingBreaksTheSignature) {
    const JwtCodec codec(kSecret);
    const std::string token = codec.sign_access("u", "s", 1000, 5000);
    const auto first = token.find('.');
    const auto second = token.find('.', first + 1);
    const std::string signature = token.substr(second + 1);

    const std::string other_header = b64(R"({"alg":"HS256","typ":"JWS"})") + token.substr(first);
    EXPECT_EQ(codec.verify_access(other_header, 1000).error, JwtError::bad_signature);

    const std::string other_payload =
        token.substr(0, first + 1) +
        b64(R"({"sub":"admin","sessionId":"s","iat":1000,"exp":5000})") + "." + signature;
    EXPECT_EQ(codec.verify_access(other_payload, 1000).error, JwtError::bad_signature);

    std::string flipped = token;
    flipped[second + 3] = flipped[second + 3] == 'A' ? 'B' : 'A';
    EXPECT_EQ(codec.verify_access(flipped, 1000).error, JwtError::bad_signature);
    EXPECT_EQ(codec.verify_access(token.substr(0, token.size() - 1), 1000).error,
              JwtError::bad_signature);
    EXPECT_EQ(codec.verify_access(token + "A", 1000).error, JwtError::bad_signature);
    // Another secret.
    EXPECT_EQ(JwtCodec("other").verify_access(token, 1000).error, JwtError::bad_signature);
}

TEST(AuthJwt, GarbageIsMalformedAndNeverThrows) {
    const JwtCodec codec(kSecret);
    const std::string valid = codec.sign_access("u", "s", 1000, 5000);
    const std::string deep(100000, '[');
    for (const std::string& token : {
             std::string(),
             std::string("."),
             std::string(".."),
             std::string("..."),
             std::string("abc"),
             std::string("a.b"),
             std::string("a.b.c"),
             std::string("a.b.c.d"),
             valid + ".x",
             std::string(".") + valid,
             std::string("%%%.%%%.%%%"),
             std::string("eyJ=.eyJ=.x"),
             b64("not json") + "." + b64("{}") + ".x",
             b64("[]") + "." + b64("{}") + ".x",
             std::string(1 << 20, 'a'),
             std::string(1 << 20, '.'),
             std::string("\0.\0.\0", 5),
             b64(R"({"alg":"HS256"})") + "." + deep + ".x",
         }) {
        EXPECT_FALSE(codec.verify_access(token, 1000).ok());
        EXPECT_FALSE(codec.verify_refresh(token, 1000).ok());
        EXPECT_EQ(peek_session_id(token), std::nullopt);
    }
    // Correctly signed but not a JSON object payload, or absurdly nested.
    for (const std::string& payload :
         {std::string("[]"), std::string("\"text\""), std::string("42"), std::string("null"),
          std::string("{"), std::string("{\"sub\":\"u\",}"),
          std::string(5000, '[') + std::string(5000, ']')}) {
        EXPECT_EQ(codec.verify_access(forge_hs256(payload), 1000).error, JwtError::malformed);
    }
    // Random bytes and random mutations of a real token.
    std::mt19937 rng(12345);
    for (int i = 0; i < 3000; ++i) {
        std::string token = valid;
        if (i % 2 == 0) {
            token.resize(rng() % 400);
            for (auto& c : token) c = static_cast<char>(rng() % 256);
        } else {
            token[rng() % token.size()] = static_cast<char>(rng() % 256);
        }
        if (token == valid) continue;
        EXPECT_FALSE(codec.verify_access(token, 1000).ok());
        (void)peek_session_id(token);
    }
}

TEST(AuthJwt, PeekSessionIdReadsWithoutVerifying) {
    EXPECT_EQ(peek_session_id(forge(R"({"alg":"HS256"})", R"({"sid":"abc"})", "any secret")),
              "abc");
    EXPECT_EQ(peek_session_id(b64(R"({"alg":"none"})") + "." + b64(R"({"sid":"x"})") + "."), "x");
    EXPECT_EQ(peek_session_id(forge_hs256(R"({"sid":7})")), std::nullopt);
    EXPECT_EQ(peek_session_id(forge_hs256(R"({"sub":"u"})")), std::nullopt);
    EXPECT_EQ(peek_session_id(forge_hs256(R"(["sid"])")), std::nullopt);
}

TEST(AuthJwt, BearerSchemeIsMatchedInAnyCase) {
    // RFC 9110 11.1: the scheme name is case-insensitive (decisions E.2).
    for (const char* header : {"Bearer abc", "bearer abc", "BEARER abc", "bEaReR abc",
                               "Bearer   abc  ", "bearer \tabc"}) {
        SCOPED_TRACE(header);
        EXPECT_EQ(bearer_token(header), std::optional<std::string_view>("abc"));
    }
    for (const char* header : {"", "Bearer", "Bearer ", "bearer    ", "Bearerabc", "Basic abc",
                               "Bearer\tabc", " Bearer abc", "Bear abc", "bearers abc"}) {
        SCOPED_TRACE(header);
        EXPECT_EQ(bearer_token(header), std::nullopt);
    }
}

TEST(AuthJwt, ExpiryFromFloorsTheLifetime) {
    EXPECT_EQ(expiry_from(1000, 900000), 1900);       // 15m
    EXPECT_EQ(expiry_from(1000, 604800000), 605800);  // 7d
    EXPECT_EQ(expiry_from(1000, 5400000), 6400);      // 1.5h
    EXPECT_EQ(expiry_from(1000, 3600), 1003);         // the reference's bare "3600"
    EXPECT_EQ(expiry_from(1000, 999), 1000);
    EXPECT_EQ(expiry_from(1000, 0), 1000);
    EXPECT_EQ(expiry_from(1000, -1), 999);
    EXPECT_EQ(expiry_from(1000, -1000), 999);
    const auto doc = read_vectors("jwt.json");
    for (const auto& item : doc.at("expires_in_strings").as_array()) {
        const auto seconds = item.at("seconds").to_number<std::int64_t>();
        EXPECT_EQ(expiry_from(1767225600, seconds * 1000), 1767225600 + seconds);
    }
}

TEST(AuthJwt, Base64Url) {
    EXPECT_EQ(base64url_encode(""), "");
    EXPECT_EQ(base64url_encode("f"), "Zg");
    EXPECT_EQ(base64url_encode("fo"), "Zm8");
    EXPECT_EQ(base64url_encode("foo"), "Zm9v");
    EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
    EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
    EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
    EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");
    EXPECT_EQ(base64url_decode("Zm9vYmE"), "fooba");
    EXPECT_EQ(base64url_decode("-_-_"), "\xfb\xff\xbf");
    EXPECT_EQ(base64url_decode(""), "");
    EXPECT_EQ(base64url_decode("Zm9vYg=="), std::nullopt);
    EXPECT_EQ(base64url_decode("+/+/"), std::nullopt);
    EXPECT_EQ(base64url_decode("Zm9vY"), std::nullopt);
    EXPECT_EQ(base64url_decode("Zm 9"), std::nullopt);
    std::string all;
    for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
    for (std::size_t n = 0; n <= all.size(); n += 37) {
        EXPECT_EQ(base64url_decode(base64url_encode(all.substr(0, n))), all.substr(0, n));
    }
}

}  // namespace
}  // namespace portcullis::auth
