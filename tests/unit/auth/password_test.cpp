// Pins Argon2 hashing and verification: the reference's hashes (tests/vectors/argon2.json,
// including p=4 and argon2i), the shape of new hashes, corrupt stored values and rehash rules.
#include "auth/password.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace portcullis::auth {
namespace {

// Small parameters for tests that hash several times (libsodium's minimum is 8 KiB, t=1).
const Argon2Params kFast{8192, 1};

bool is_base64(const std::string& text) {
    return text.find_first_not_of(
               "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") ==
           std::string::npos;
}

boost::json::value read_vectors(const std::string& name) {
    std::ifstream in(std::string(PORTCULLIS_VECTORS_DIR) + "/" + name);
    std::stringstream text;
    text << in.rdbuf();
    return boost::json::parse(text.str());
}

TEST(AuthPassword, ReferenceHashesVerify) {
    const auto doc = read_vectors("argon2.json");
    std::size_t checked = 0;
    for (const auto& item : doc.at("vectors").as_array()) {
        const std::string password(item.at("password").as_string());
        const std::string hash(item.at("hash").as_string());
        SCOPED_TRACE(hash);
        EXPECT_EQ(verify_password(password, hash), PasswordCheck::match);
        EXPECT_EQ(verify_password(password + "x", hash), PasswordCheck::mismatch);
        ++checked;
    }
    EXPECT_EQ(checked, 7U);
    for (const auto& item : doc.at("negative").as_array()) {
        ASSERT_FALSE(item.at("expect").as_bool());
        EXPECT_EQ(verify_password(std::string(item.at("password").as_string()),
                                  std::string(item.at("hash").as_string())),
                  PasswordCheck::mismatch);
    }
}

TEST(AuthPassword, NewHashesHaveTheDefaultShapeAndVerify) {
    const Argon2Params defaults;
    EXPECT_EQ(defaults.memory_kib, 65536U);
    EXPECT_EQ(defaults.iterations, 3U);
    const auto start = std::chrono::steady_clock::now();
    const std::string hash = hash_password("Password1!", defaults);
    const auto elapsed = std::chrono::steady_clock::now() - start;
    std::cout << "[ INFO     ] one Argon2id hash (m=65536, t=3, p=1): "
              << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count() << " ms\n";
    const std::string prefix = "$argon2id$v=19$m=65536,t=3,p=1$";
    ASSERT_TRUE(hash.starts_with(prefix)) << hash;
    // 16-byte salt and 32-byte hash in unpadded standard base64: 22 and 43 characters.
    ASSERT_EQ(hash.size(), prefix.size() + 22 + 1 + 43) << hash;
    EXPECT_EQ(hash[prefix.size() + 22], '$') << hash;
    const std::string salt = hash.substr(prefix.size(), 22);
    const std::string tag = hash.substr(prefix.size() + 23);
    EXPECT_TRUE(is_base64(salt)) << hash;
    EXPECT_TRUE(is_base64(tag)) << hash;
    EXPECT_EQ(verify_password("Password1!", hash), PasswordCheck::match);
    EXPECT_EQ(verify_password("Password1?", hash), PasswordCheck::mismatch);
    EXPECT_FALSE(needs_rehash(hash, defaults));
}

TEST(AuthPassword, ConfiguredParametersAndFreshSalts) {
    const std::string a = hash_password("Password1!", kFast);
    const std::string b = hash_password("Password1!", kFast);
    EXPECT_TRUE(a.starts_with("$argon2id$v=19$m=8192,t=1,p=1$")) << a;
    EXPECT_NE(a, b);
    EXPECT_EQ(verify_password("Password1!", a), PasswordCheck::match);
    EXPECT_EQ(verify_password("Password1!", b), PasswordCheck::match);
    const std::string t2 = hash_password("x", Argon2Params{16384, 2});
    EXPECT_TRUE(t2.starts_with("$argon2id$v=19$m=16384,t=2,p=1$")) << t2;
}

TEST(AuthPassword, PasswordBytesAreExact) {
    const std::string unicode = "p\xc3\xa4ssw\xc3\xb6rd-\xf0\x9f\x98\x80";
    const std::string hash = hash_password(unicode, kFast);
    EXPECT_EQ(verify_password(unicode, hash), PasswordCheck::match);
    EXPECT_EQ(verify_password("p\xc3\xa4ssw\xc3\xb6rd-", hash), PasswordCheck::mismatch);
    // Embedded NUL: the length counts, not a C string.
    const std::string with_nul("ab\0cd", 5);
    const std::string nul_hash = hash_password(with_nul, kFast);
    EXPECT_EQ(verify_password(with_nul, nul_hash), PasswordCheck::match);
    EXPECT_EQ(verify_password("ab", nul_hash), PasswordCheck::mismatch);
    const std::string empty_hash = hash_password("", kFast);
    EXPECT_EQ(verify_password("", empty_hash), PasswordCheck::match);
    EXPECT_EQ(verify_password(" ", empty_hash), PasswordCheck::mismatch);
}

TEST(AuthPassword, CorruptStoredValuesAreInvalidNotMismatch) {
    const std::string good =
        "$argon2id$v=19$m=65536,t=3,p=4$9RnDnbU4MM1lOqPORbHaCg$Yhb4Z6YCIBIK7VZcVwZFUaNNO8+"
        "KF0fa4Jm4RiiE+ok";
    for (const std::string& phc : {
             std::string(),
             std::string("garbage"),
             std::string("Password1!"),
             std::string("$2b$10$abcdefghijklmnopqrstuu5R3F5oq2JkGxGzQUcIuzXfv8Wv4x6i."),
             std::string("$argon2d$v=19$m=65536,t=3,p=4$9RnDnbU4MM1lOqPORbHaCg$"
                         "Yhb4Z6YCIBIK7VZcVwZFUaNNO8+KF0fa4Jm4RiiE+ok"),
             std::string("$argon2id$v=16$m=65536,t=3,p=4$9RnDnbU4MM1lOqPORbHaCg$"
                         "Yhb4Z6YCIBIK7VZcVwZFUaNNO8+KF0fa4Jm4RiiE+ok"),
             std::string("$argon2id$m=65536,t=3,p=4$9RnDnbU4MM1lOqPORbHaCg$"
                         "Yhb4Z6YCIBIK7VZcVwZFUaNNO8+KF0fa4Jm4RiiE+ok"),
             std::string("$argon2id$v=19$m=16,t=3,p=4$9RnDnbU4MM1lOqPORbHaCg$"
                         "Yhb4Z6YCIBIK7VZcVwZFUaNNO8+KF0fa4Jm4RiiE+ok"),
             std::string("$argon2id$v=19$m=65536,t=0,p=4$9RnDnbU4MM1lOqPORbHaCg$"
                         "Yhb4Z6YCIBIK7VZcVwZFUaNNO8+KF0fa4Jm4RiiE+ok"),
             std::string("$argon2id$v=19$m=65536,t=3,p=0$9RnDnbU4MM1lOqPORbHaCg$"
                         "Yhb4Z6YCIBIK7VZcVwZFUaNNO8+KF0fa4Jm4RiiE+ok"),
             std::string("$argon2id$v=19$m=99999999999,t=3,p=4$9RnDnbU4MM1lOqPORbHaCg$"
                         "Yhb4Z6YCIBIK7VZcVwZFUaNNO8+KF0fa4Jm4RiiE+ok"),
             std::string("$argon2id$v=19$t=3,m=65536,p=4$9RnDnbU4MM1lOqPORbHaCg$"
                         "Yhb4Z6YCIBIK7VZcVwZFUaNNO8+KF0fa4Jm4RiiE+ok"),
             std::string("$argon2id$v=19$m=65536,t=3,p=4$9RnDnbU4MM1lOqPORbHaCg$"
                         "Yhb4Z6YCIBIK7VZcVwZFUaNNO8+KF0fa4Jm4RiiE+ok="),
             std::string("$argon2id$v=19$m=65536,t=3,p=4$9RnDnbU4MM1lOqPORbHaCg$"
                         "Yhb4Z6YCIBIK7VZcVwZFUaNNO8+KF0fa4Jm4RiiE+o"),
             std::string("$argon2id$v=19$m=65536,t=3,p=4$9RnDnbU4MM1lOqPORbHaCg$Yhb4Z6YC"),
             std::string(
                 "$argon2id$v=19$m=65536,t=3,p=4$9RnD$Yhb4Z6YCIBIK7VZcVwZFUaNNO8+KF0fa4Jm4RiiE+ok"),
             std::string("$argon2id$v=19$m=65536,t=3,p=4$9RnDnbU4MM1lOqPORbHaCg"),
             std::string("$argon2id$v=19$m=65536,t=3,p=4$9RnDnbU4MM1lOqPORbHaCg$"
                         "Yhb4Z6YCIBIK7VZcVwZFUaNNO8-KF0fa4Jm4RiiE_ok"),
             std::string("$argon2id$v=19$m=65536,t=3,p=4,data=abcd$9RnDnbU4MM1lOqPORbHaCg$"
                         "Yhb4Z6YCIBIK7VZcVwZFUaNNO8+KF0fa4Jm4RiiE+ok"),
             good + "$",
             good + " ",
             " " + good,
             good.substr(0, 40),
             std::string(good.data(), 20) + std::string("\0", 1) + good.substr(20),
         }) {
        SCOPED_TRACE(phc);
        EXPECT_EQ(verify_password("Password1!", phc), PasswordCheck::invalid_hash);
    }
    EXPECT_EQ(verify_password("Password1!", good), PasswordCheck::match);
}

TEST(AuthPassword, NeedsRehashComparesAlgorithmMemoryPassesAndLanes) {
    const Argon2Params defaults;
    const auto doc = read_vectors("argon2.json");
    const auto& vectors = doc.at("vectors").as_array();
    const auto hash = [&](std::size_t i) {
        return std::string(vectors.at(i).at("hash").as_string());
    };
    // The reference's p=4 defaults have our m and t but four lanes: moved to ours (issue #16).
    EXPECT_TRUE(needs_rehash(hash(0), defaults));
    EXPECT_TRUE(needs_rehash(hash(5), defaults));  // m=19456, t=2
    EXPECT_FALSE(needs_rehash(hash(5), Argon2Params{19456, 2}));
    EXPECT_TRUE(needs_rehash(hash(6), defaults));  // argon2i
    EXPECT_TRUE(needs_rehash(hash(0), Argon2Params{65536, 4}));
    EXPECT_TRUE(needs_rehash(hash(0), Argon2Params{131072, 3}));
    EXPECT_TRUE(needs_rehash("garbage", defaults));
    const std::string fast = hash_password("Password1!", kFast);
    EXPECT_FALSE(needs_rehash(fast, kFast));
    EXPECT_TRUE(needs_rehash(fast, defaults));
}

TEST(AuthPassword, ImpossibleParametersThrow) {
    EXPECT_THROW(hash_password("x", Argon2Params{8192, 0}), std::runtime_error);
    EXPECT_THROW(hash_password("x", Argon2Params{1, 1}), std::runtime_error);
}

}  // namespace
}  // namespace portcullis::auth
