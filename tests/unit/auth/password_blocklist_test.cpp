// The password blocklist (issue #16): the built-in list as embedded, its normalized comparison,
// and the e-mail rule. The breached-hash file is exercised against the real binary
// (tests/integration/password_policy_test.cpp), since it maps a file.
#include "auth/password_blocklist.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "auth/password_list.hpp"

namespace portcullis::auth {
namespace {

TEST(BuiltinPasswordList, HoldsTheWholePackageListSortedOnceEach) {
    EXPECT_EQ(builtin_password_count(), 49233U);
    const std::string_view list = builtin_password_list();
    EXPECT_EQ(static_cast<std::size_t>(std::count(list.begin(), list.end(), '\n')), 49233U);
    std::string_view previous;
    std::size_t start = 0;
    while (start < list.size()) {
        const auto end = list.find('\n', start);
        const auto line = list.substr(start, end - start);
        ASSERT_LT(previous, line) << "sorted by bytes, without repeats";
        previous = line;
        start = end + 1;
    }
    for (const char* entry : {"123456", "password", "p@ssw0rd", "summer", "dragon", "qwerty123"}) {
        EXPECT_TRUE(in_builtin_list(entry)) << entry;
    }
    EXPECT_FALSE(in_builtin_list("zq8-unusual!phrase"));
}

TEST(PasswordBlocklist, RefusesCommonPasswordsThatMeetTheCompositionRules) {
    const auto list = PasswordBlocklist::builtin();
    for (const char* password :
         {"P@ssw0rd", "Password123!", "Summer2024!", "Passw0rd!", "!Qwerty123", "Dragon#2025",
          "@dmin1234", "L3tm3in!!", "Monkey$$99", "1Password!"}) {
        EXPECT_EQ(list.check(password, "someone@example.com"), PasswordVerdict::breached)
            << password;
    }
}

TEST(PasswordBlocklist, AcceptsUncommonPasswords) {
    const auto list = PasswordBlocklist::builtin();
    // Zq8-unusual!Phrase is the example; the others are the fixtures of the test suites
    // and the benchmark, which must keep registering.
    for (const char* password : {"Zq8-unusual!Phrase", "Str0ng!Passw0rd", "N3w!Passw0rd-ok",
                                 "Bench-Passw0rd!", "Wrong-Passw0rd!", "x7$Kq9!mZ#4tLp"}) {
        EXPECT_EQ(list.check(password, "someone@example.com"), PasswordVerdict::ok) << password;
    }
}

TEST(PasswordBlocklist, NormalizedFormsUndoSubstitutionsAndStripEdges) {
    const auto forms = normalized_forms("P@ssw0rd123!");
    const auto has = [&](const char* form) {
        return std::find(forms.begin(), forms.end(), form) != forms.end();
    };
    EXPECT_TRUE(has("p@ssw0rd123!"));  // as typed, lower case
    EXPECT_TRUE(has("p@ssw0rd"));      // digits and symbols stripped from the end
    EXPECT_TRUE(has("password"));      // and the substitutions undone
    EXPECT_TRUE(has("p@ssw0rd123"));   // symbols only stripped
    for (const auto& form : forms) {
        EXPECT_GE(form.size(), 4U) << form;
        EXPECT_EQ(std::count(forms.begin(), forms.end(), form), 1) << form;
    }
    // `1` reads as i or l.
    const auto ones = normalized_forms("1ov3ly!");
    EXPECT_NE(std::find(ones.begin(), ones.end(), "lovely"), ones.end());
}

TEST(PasswordBlocklist, RefusesTheEmailLocalPartOfFourCharactersOrMore) {
    const auto list = PasswordBlocklist::builtin();
    EXPECT_EQ(list.check("Xy!alice-Kq93z", "Alice@Example.com"), PasswordVerdict::contains_email);
    EXPECT_EQ(list.check("Xy!AL1CE-Kq93z", "alice@example.com"), PasswordVerdict::contains_email);
    EXPECT_EQ(list.check("Xy!bob-Kq93zQ", "bob@example.com"), PasswordVerdict::ok);  // 3 chars
    EXPECT_EQ(list.check("Xy!alice-Kq93z", ""), PasswordVerdict::ok);
}

TEST(PasswordBlocklist, OffRefusesNothing) {
    const auto off = PasswordBlocklist::off();
    EXPECT_FALSE(off.enabled());
    EXPECT_EQ(off.check("P@ssw0rd", "p@example.com"), PasswordVerdict::ok);
    EXPECT_EQ(off.check("Xy!alice-Kq93z", "alice@example.com"), PasswordVerdict::ok);
}

TEST(PasswordBlocklist, Sha1HexIsUpperCaseAsHibpShipsIt) {
    EXPECT_EQ(sha1_hex_upper("password"), "5BAA61E4C9B93F3F0682250B6CF8331B7EE68FD8");
    EXPECT_EQ(sha1_hex_upper(""), "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709");
}

}  // namespace
}  // namespace portcullis::auth
