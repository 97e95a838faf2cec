// Pins the value grammars of config/parse.hpp: numbers, booleans, lists, sizes, senders, URL masks.
#include "config/parse.hpp"

#include <gtest/gtest.h>

namespace portcullis::config {
namespace {

TEST(ConfigParse, NumbersFollowJsNumber) {
    EXPECT_EQ(parse_number(""), 0.0);
    EXPECT_EQ(parse_number("  "), 0.0);
    EXPECT_EQ(parse_number(" 600 "), 600.0);
    EXPECT_EQ(parse_number("0.33"), 0.33);
    EXPECT_EQ(parse_number("1e3"), 1000.0);
    EXPECT_EQ(parse_number("0x10"), 16.0);
    EXPECT_EQ(parse_number("0o10"), 8.0);
    EXPECT_EQ(parse_number("0b10"), 2.0);
    EXPECT_EQ(parse_number("-2.5"), -2.5);
    EXPECT_FALSE(parse_number("abc"));
    EXPECT_FALSE(parse_number("Infinity"));
    EXPECT_FALSE(parse_number("NaN"));
    EXPECT_FALSE(parse_number("12px"));
}

TEST(ConfigParse, IntegersAreWholeSafeNumbers) {
    EXPECT_EQ(parse_integer("42"), 42);
    EXPECT_EQ(parse_integer("2.0"), 2);
    EXPECT_EQ(parse_integer("1e3"), 1000);
    EXPECT_EQ(parse_integer("-3"), -3);
    EXPECT_EQ(parse_integer(""), 0);
    EXPECT_EQ(parse_integer("9007199254740991"), 9007199254740991);
    EXPECT_FALSE(parse_integer("9007199254740992"));
    EXPECT_FALSE(parse_integer("2.5"));
    EXPECT_FALSE(parse_integer("ten"));
}

TEST(ConfigParse, BooleanIsTrueOnlyForTrue) {
    for (const char* text : {"true", "TRUE", " True ", "\ttrue\n"}) {
        EXPECT_TRUE(parse_boolean(text)) << text;
    }
    for (const char* text : {"", "1", "yes", "on", "truee", "t", "false", "tru e"}) {
        EXPECT_FALSE(parse_boolean(text)) << text;
    }
}

TEST(ConfigParse, ListsSplitTrimAndDropEmpties) {
    EXPECT_EQ(parse_list("https://a.example, https://b.example ,, ,c,"),
              (std::vector<std::string>{"https://a.example", "https://b.example", "c"}));
    EXPECT_TRUE(parse_list("").empty());
    EXPECT_TRUE(parse_list(" , ,").empty());
    EXPECT_EQ(parse_list("one"), std::vector<std::string>{"one"});
}

TEST(ConfigParse, ByteSizes) {
    EXPECT_EQ(parse_byte_size("100kb"), 102400U);
    EXPECT_EQ(parse_byte_size("100KB"), 102400U);
    EXPECT_EQ(parse_byte_size("100Kb"), 102400U);
    EXPECT_EQ(parse_byte_size("1mb"), 1048576U);
    EXPECT_EQ(parse_byte_size("1 mb"), 1048576U);
    EXPECT_EQ(parse_byte_size("1.5kb"), 1536U);
    EXPECT_EQ(parse_byte_size("0.5b"), 0U);
    EXPECT_EQ(parse_byte_size("1gb"), 1073741824U);
    EXPECT_EQ(parse_byte_size("1tb"), 1099511627776U);
    EXPECT_EQ(parse_byte_size("1pb"), 1125899906842624U);
    EXPECT_EQ(parse_byte_size("100"), 100U);
    EXPECT_EQ(parse_byte_size("100b"), 100U);
    EXPECT_EQ(parse_byte_size("100B"), 100U);
    EXPECT_EQ(parse_byte_size("1.9"), 1U);
    EXPECT_EQ(parse_byte_size("0"), 0U);
    EXPECT_EQ(parse_byte_size("+1kb"), 1024U);
    EXPECT_EQ(parse_byte_size(" 2kb "), 2048U);
    for (const char* text : {"", "abc", "kb", "-1kb", "-1", "1.kb", ".5kb", "1e3", "1 k b", "10xb",
                             "1kib", "1k", "0x10", "99999999pb", "1,5kb"}) {
        EXPECT_FALSE(parse_byte_size(text)) << text;
    }
}

TEST(ConfigParse, SenderAcceptsBareOrDisplayNameForm) {
    for (const char* text :
         {"no-reply@example.com", "Portcullis <no-reply@example.com>",
          "\"Portcullis Team\" <no-reply@example.com>", "<no-reply@example.com>",
          "Portcullis<no-reply@example.com>", "P\xc3\xb6rtcullis <a@example.com>"}) {
        EXPECT_TRUE(is_valid_sender(text)) << text;
    }
    for (const char* text :
         {"", "Portcullis", "Portcullis <bad>", "Portcullis <a@example.com",
          "Portcullis a@example.com>", "Port\r\ncullis <a@example.com>", "Port<x> <a@example.com>",
          " Portcullis <a@example.com>", "Portcullis <a@example.com> ",
          "Por\"tcullis <a@example.com>", "Portcullis < a@example.com>", "\"Open <a@example.com>",
          "Tab\tName <a@example.com>"}) {
        EXPECT_FALSE(is_valid_sender(text)) << text;
    }
}

TEST(ConfigParse, MasksUrlPasswords) {
    EXPECT_EQ(mask_url_password("redis://:s3cret@host:6379/0"), "redis://:***@host:6379/0");
    EXPECT_EQ(mask_url_password("postgresql://app:p%40ss@db:5432/app?sslmode=require"),
              "postgresql://app:***@db:5432/app?sslmode=require");
    EXPECT_EQ(mask_url_password("redis://host:6379"), "redis://host:6379");
    EXPECT_EQ(mask_url_password("redis://user@host"), "redis://user@host");
    EXPECT_EQ(mask_url_password("redis://:@host"), "redis://:***@host");
    // Malformed or mis-encoded passwords (a later `@`) are masked from the scheme to the last `@`.
    EXPECT_EQ(mask_url_password("redis://:pa ss@host:6379"), "redis://***@host:6379");
    EXPECT_EQ(mask_url_password("redis://:p#ss@host"), "redis://***@host");
    EXPECT_EQ(mask_url_password("redis://:pa#ss@host:6379/0"), "redis://***@host:6379/0");
    EXPECT_EQ(mask_url_password("redis://:pa?ss@host"), "redis://***@host");
    EXPECT_EQ(mask_url_password("redis://u:p@ss@host"), "redis://***@host");
    EXPECT_EQ(mask_url_password("redis://:p/ss@host"), "redis://***@host");
    EXPECT_EQ(mask_url_password("redis://user:12#34@host"), "redis://***@host");
    EXPECT_EQ(mask_url_password("postgresql://u:p@db/app?x=a@b"), "postgresql://***@b");
    EXPECT_EQ(mask_url_password("user:pass@host"), "***@host");
    EXPECT_EQ(mask_url_password("not a url"), "not a url");
    EXPECT_EQ(mask_url_password(""), "");
}

TEST(ConfigParse, Urls) {
    for (const char* text : {"redis://:pass@host:6379/0", "rediss://cache:6380", "redis://h",
                             "postgresql://u:p@db/app?sslmode=require", "host:6379",
                             "mailto:a@b.co", "redis://[::1]:6379"}) {
        EXPECT_TRUE(is_valid_url(text)) << text;
    }
    for (const char* text :
         {"", "localhost", "//host", "redis://host:port", "redis://host:12ab", "redis://:p#ss@host",
          "redis://u:p@ss@host", "redis://:top secret@h", " redis://h", "redis://h/a b"}) {
        EXPECT_FALSE(is_valid_url(text)) << text;
    }
}

TEST(ConfigParse, TrimIsJavaScriptTrim) {
    EXPECT_EQ(trim("\u00a0 x \t"), "x");
    EXPECT_EQ(trim("x"), "x");
}

}  // namespace
}  // namespace portcullis::config
