// JavaScript's text rules as the contract inherits them: trim(), Number(), `.length` and zod's
// e-mail pattern (contract 2.1, 4.1).
#include "util/js_text.hpp"

#include <gtest/gtest.h>

namespace portcullis::util {
namespace {

TEST(JsText, EmailRuleOfContract41) {
    for (const char* text :
         {"user@example.com", "first.last+tag@sub.example.co", "o'brien@example.io",
          "a_b-c@ex-ample.com", "x@a.bc", "1@2.ab", "UPPER@EXAMPLE.COM", "a-@example.com",
          "_@example.com", "+@example.com", "a@b-.example.com", "a@0-0.example.org"}) {
        EXPECT_TRUE(is_valid_email(text)) << text;
    }
    for (const char* text : {".a@example.com",
                             "a..b@example.com",
                             "a.@example.com",
                             "a'@example.com",
                             "@example.com",
                             "a@example",
                             "a@example.c",
                             "a@-example.com",
                             "a@example..com",
                             "a@.example.com",
                             "a@example.com.",
                             "a@example.c0m",
                             "a b@example.com",
                             " a@example.com",
                             "a@example.com ",
                             "a@@example.com",
                             "a@b@example.com",
                             "\xc3\xa4@example.com",
                             "a@ex\xc3\xa4mple.com",
                             "a@example.com\n",
                             "a@sub_domain.com",
                             "a@example.123",
                             "a@b.c.d",
                             "a\"b@example.com",
                             "",
                             "a@",
                             "plainaddress",
                             "a@example.co..uk",
                             "a@example.co.",
                             "a@.com"}) {
        EXPECT_FALSE(is_valid_email(text)) << text;
    }
}

TEST(JsText, Utf16Length) {
    EXPECT_EQ(utf16_length("abc"), 3U);
    EXPECT_EQ(utf16_length("\xc3\xa9"), 1U);          // é
    EXPECT_EQ(utf16_length("\xe2\x82\xac"), 1U);      // €
    EXPECT_EQ(utf16_length("\xf0\x9f\x98\x80"), 2U);  // 😀, a surrogate pair
    EXPECT_EQ(utf16_length("\xff"), 1U);
    EXPECT_EQ(utf16_length("\xe2\x82"), 2U);  // truncated sequence: bytes count one each
    EXPECT_EQ(utf16_length(""), 0U);
}

TEST(JsText, JsNumberCoercion) {
    EXPECT_EQ(parse_js_number(""), 0.0);
    EXPECT_EQ(parse_js_number(" \t\n"), 0.0);
    EXPECT_EQ(parse_js_number(" 42 "), 42.0);
    EXPECT_EQ(parse_js_number("\u00a07\u3000"), 7.0);
    EXPECT_EQ(parse_js_number("1e3"), 1000.0);
    EXPECT_EQ(parse_js_number("-.5E1"), -5.0);
    EXPECT_EQ(parse_js_number("5."), 5.0);
    EXPECT_EQ(parse_js_number("+.25"), 0.25);
    EXPECT_EQ(parse_js_number("0x10"), 16.0);
    EXPECT_EQ(parse_js_number("0XfF"), 255.0);
    EXPECT_EQ(parse_js_number("0o17"), 15.0);
    EXPECT_EQ(parse_js_number("0b101"), 5.0);
    EXPECT_EQ(parse_js_number("007"), 7.0);
    EXPECT_EQ(parse_js_number("1e-400"), 0.0);
    for (const char* text :
         {"abc",  "Infinity", "-Infinity", "+Infinity", "NaN",   "1e400", "-0x10", "0x",
          "0x1g", "0b102",    "0o8",       "1 2",       "1_000", ".",     "e5",    "1e",
          "1e+",  "..5",      "1..5",      "--1",       "1,5",   "0x 1",  "inf",   "nan"}) {
        EXPECT_FALSE(parse_js_number(text)) << text;
    }
}

TEST(JsText, JsTrim) {
    EXPECT_EQ(trim_js(" \t\r\n\v\f a b \u00a0\u2028\ufeff"), "a b");
    EXPECT_EQ(trim_js("\u200b x"), "\u200b x");  // zero-width space is not white space in JS
    EXPECT_EQ(trim_js(""), "");
}

}  // namespace
}  // namespace portcullis::util
