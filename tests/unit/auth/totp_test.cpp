// TOTP and HOTP against the RFC test vectors (RFC 6238 appendix B, RFC 4226 appendix D), the
// ±1-step window, base32 (RFC 4648 section 10), the otpauth URI and the recovery-code format.
#include "auth/totp.hpp"

#include <gtest/gtest.h>

#include <set>

#include "auth/mfa.hpp"

namespace portcullis::auth {
namespace {

const std::string kSha1Key = "12345678901234567890";
const std::string kSha256Key = "12345678901234567890123456789012";
const std::string kSha512Key = "1234567890123456789012345678901234567890123456789012345678901234";

struct Vector {
    std::int64_t time;
    const char* sha1;
    const char* sha256;
    const char* sha512;
};

// RFC 6238 appendix B: 8 digits, 30-second steps.
constexpr Vector kRfc6238[] = {
    {59, "94287082", "46119246", "90693936"},
    {1111111109, "07081804", "68084774", "25091201"},
    {1111111111, "14050471", "67062674", "99943326"},
    {1234567890, "89005924", "91819424", "93441116"},
    {2000000000, "69279037", "90698825", "38618901"},
    {20000000000, "65353130", "77737706", "47863826"},
};

TEST(Totp, Rfc6238TestVectors) {
    for (const auto& v : kRfc6238) {
        const auto step = static_cast<std::uint64_t>(totp::step_at(v.time));
        EXPECT_EQ(totp::hotp(kSha1Key, step, 8, totp::Hash::sha1), v.sha1) << v.time;
        EXPECT_EQ(totp::hotp(kSha256Key, step, 8, totp::Hash::sha256), v.sha256) << v.time;
        EXPECT_EQ(totp::hotp(kSha512Key, step, 8, totp::Hash::sha512), v.sha512) << v.time;
    }
}

TEST(Totp, Rfc4226HotpVectorsWithSixDigits) {
    const char* expected[] = {"755224", "287082", "359152", "969429", "338314",
                              "254676", "287922", "162583", "399871", "520489"};
    for (std::uint64_t counter = 0; counter < 10; ++counter) {
        EXPECT_EQ(totp::hotp(kSha1Key, counter), expected[counter]) << counter;
    }
}

TEST(Totp, AcceptsOneStepEitherSideAndNoMore) {
    const std::int64_t now = 1'800'000'015;  // the middle of a step
    const std::int64_t step = totp::step_at(now);
    const auto code_at = [&](std::int64_t s) {
        return totp::hotp(kSha1Key, static_cast<std::uint64_t>(s));
    };
    EXPECT_EQ(totp::match(kSha1Key, code_at(step), now), step);
    EXPECT_EQ(totp::match(kSha1Key, code_at(step - 1), now), step - 1);
    EXPECT_EQ(totp::match(kSha1Key, code_at(step + 1), now), step + 1);
    EXPECT_EQ(totp::match(kSha1Key, code_at(step - 2), now), std::nullopt);
    EXPECT_EQ(totp::match(kSha1Key, code_at(step + 2), now), std::nullopt);
    // The window moves with the clock: 30 seconds later the old "previous" step is out.
    EXPECT_EQ(totp::match(kSha1Key, code_at(step - 1), now + 30), std::nullopt);
}

TEST(Totp, RefusesCodesOfAnotherShapeOrKey) {
    const std::int64_t now = 1'800'000'000;
    const std::string code = totp::hotp(kSha1Key, static_cast<std::uint64_t>(totp::step_at(now)));
    EXPECT_EQ(totp::match(kSha1Key, code.substr(0, 5), now), std::nullopt);
    EXPECT_EQ(totp::match(kSha1Key, code + "0", now), std::nullopt);
    EXPECT_EQ(totp::match(kSha1Key, "", now), std::nullopt);
    EXPECT_EQ(totp::match("another key of twenty", code, now), std::nullopt);
}

TEST(Totp, StepsAreThirtySecondsFlooredAtBoundaries) {
    EXPECT_EQ(totp::step_at(0), 0);
    EXPECT_EQ(totp::step_at(29), 0);
    EXPECT_EQ(totp::step_at(30), 1);
    EXPECT_EQ(totp::step_at(59), 1);
}

TEST(Totp, SecretsAreTwentyRandomBytes) {
    const auto a = totp::new_secret();
    const auto b = totp::new_secret();
    EXPECT_EQ(a.size(), 20U);
    EXPECT_NE(a, b);
    EXPECT_EQ(totp::base32_encode(a).size(), 32U);
}

TEST(Base32, Rfc4648Vectors) {
    const std::pair<const char*, const char*> vectors[] = {
        {"", ""},
        {"f", "MY"},
        {"fo", "MZXQ"},
        {"foo", "MZXW6"},
        {"foob", "MZXW6YQ"},
        {"fooba", "MZXW6YTB"},
        {"foobar", "MZXW6YTBOI"},
    };
    for (const auto& [plain, encoded] : vectors) {
        EXPECT_EQ(totp::base32_encode(plain), encoded);
        EXPECT_EQ(totp::base32_decode(encoded), std::string(plain));
    }
    EXPECT_EQ(totp::base32_decode("mzxw6ytboi"), "foobar");
    EXPECT_EQ(totp::base32_decode("MZXW 6YTB OI======"), "foobar");
    EXPECT_EQ(totp::base32_decode("MZXW6YTB1"), std::nullopt);  // 1 is not base32
    EXPECT_EQ(totp::base32_decode("M"), std::nullopt);          // no encoder makes 1 symbol
    const std::string secret = totp::new_secret();
    EXPECT_EQ(totp::base32_decode(totp::base32_encode(secret)), secret);
}

TEST(Totp, OtpauthUriFollowsTheKeyUriFormat) {
    EXPECT_EQ(totp::otpauth_uri("Acme Corp", "alice+x@example.com", "JBSWY3DPEHPK3PXP"),
              "otpauth://totp/Acme%20Corp:alice%2Bx%40example.com?secret=JBSWY3DPEHPK3PXP"
              "&issuer=Acme%20Corp&algorithm=SHA1&digits=6&period=30");
}

TEST(RecoveryCodes, SixteenCrockfordCharactersInFourGroups) {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        const std::string code = new_recovery_code();
        ASSERT_EQ(code.size(), 19U) << code;
        for (const std::size_t dash : {4U, 9U, 14U}) EXPECT_EQ(code[dash], '-') << code;
        const auto canonical = canonical_recovery_code(code);
        ASSERT_TRUE(canonical.has_value()) << code;
        EXPECT_EQ(canonical->size(), 16U);
        EXPECT_TRUE(seen.insert(*canonical).second) << "80 random bits do not repeat";
    }
}

TEST(RecoveryCodes, TypedFormsMeetTheSameCanonicalCode) {
    const auto canonical = canonical_recovery_code("4k7m-9q2x-hw3c-ta8p");
    ASSERT_TRUE(canonical.has_value());
    EXPECT_EQ(*canonical, "4k7m9q2xhw3cta8p");
    EXPECT_EQ(canonical_recovery_code("4K7M 9Q2X HW3C TA8P"), canonical);
    EXPECT_EQ(canonical_recovery_code("4k7m9q2xhw3cta8p"), canonical);
    // Crockford's reading of look-alikes.
    EXPECT_EQ(canonical_recovery_code("1111-0000-aaaa-bbbb"),
              canonical_recovery_code("iLIl-oOoO-aaaa-bbbb"));
    EXPECT_EQ(recovery_code_hash(*canonical),
              recovery_code_hash(*canonical_recovery_code("4K7M-9Q2X-HW3C-TA8P")));
    EXPECT_EQ(canonical_recovery_code("4k7m-9q2x-hw3c-ta8"), std::nullopt);    // too short
    EXPECT_EQ(canonical_recovery_code("4k7m-9q2x-hw3c-ta8pp"), std::nullopt);  // too long
    EXPECT_EQ(canonical_recovery_code("4k7m-9q2x-hw3c-ta8u"), std::nullopt);   // u is not used
    EXPECT_EQ(canonical_recovery_code("4k7m_9q2x_hw3c_ta8p"), std::nullopt);
}

}  // namespace
}  // namespace portcullis::auth
