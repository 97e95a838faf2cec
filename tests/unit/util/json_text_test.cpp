// JSON text escaping used by every log line and envelope.
#include "util/json_text.hpp"

#include <gtest/gtest.h>

namespace portcullis::util {
namespace {

std::string as_json(std::string_view s) {
    std::string out;
    append_json_string(out, s);
    return out;
}

TEST(JsonText, EscapesControlCharactersQuotesAndBackslashes) {
    EXPECT_EQ(as_json("plain"), "\"plain\"");
    EXPECT_EQ(as_json("a\"b\\c"), R"("a\"b\\c")");
    EXPECT_EQ(as_json("line\nbreak\ttab\r"), R"("line\nbreak\ttab\r")");
    EXPECT_EQ(as_json(std::string("\x01\x1f", 2)), R"("\u0001\u001f")");
}

TEST(JsonText, KeepsValidUtf8AndReplacesInvalidBytes) {
    EXPECT_EQ(as_json("p\xC3\xA4ss"), "\"p\xC3\xA4ss\"");
    EXPECT_EQ(as_json("\xF0\x9F\x94\x92"), "\"\xF0\x9F\x94\x92\"");
    EXPECT_EQ(as_json("bad\xff"), R"("bad\ufffd")");
    EXPECT_EQ(as_json("\xC3"), R"("\ufffd")");
    EXPECT_EQ(as_json("\xED\xA0\x80"), R"("\ufffd\ufffd\ufffd")");
}

TEST(JsonText, Numbers) {
    std::string out;
    append_json_number(out, std::int64_t{-42});
    out += ' ';
    append_json_number(out, 1.5);
    out += ' ';
    append_json_number(out, 1.0 / 0.0);
    EXPECT_EQ(out, "-42 1.5 null");
}

}  // namespace
}  // namespace portcullis::util
