// Pins `.env` parsing (dotenv rules) and read_environment's precedence of the real environment.
#include "config/dotenv.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "config/config.hpp"

namespace portcullis::config {
namespace {

TEST(Dotenv, ParsesLinesCommentsAndExport) {
    const auto values = parse_dotenv(
        "# a comment\n"
        "PLAIN=value\n"
        "  SPACED  =  padded value  \n"
        "export EXPORTED=yes\n"
        "INLINE=abc # trailing comment\n"
        "HASHED=abc#def\n"
        "EMPTY=\n"
        "\n"
        "not a valid line\n"
        "=novalue\n"
        "DOTTED.KEY-1=ok\n");
    EXPECT_EQ(values.at("PLAIN"), "value");
    EXPECT_EQ(values.at("SPACED"), "padded value");
    EXPECT_EQ(values.at("EXPORTED"), "yes");
    EXPECT_EQ(values.at("INLINE"), "abc");
    EXPECT_EQ(values.at("HASHED"), "abc");
    EXPECT_EQ(values.at("EMPTY"), "");
    EXPECT_EQ(values.at("DOTTED.KEY-1"), "ok");
    EXPECT_EQ(values.size(), 7U);
}

TEST(Dotenv, QuotedValues) {
    const auto values = parse_dotenv(
        "DOUBLE=\"line1\\nline2\\r!\"\n"
        "SINGLE='raw\\nvalue # kept'\n"
        "BACKTICK=`it's \"quoted\"`\n"
        "HASH=\"a # b\" # comment\n"
        "SPACES=\"  inner  \"\n"
        "ESCAPED=\"say \\\"hi\\\"\"\n"
        "MULTI=\"first\n"
        "second\"\n"
        "AFTER=1\n"
        "UNCLOSED=\"abc\n"
        "TRAILING=\"abc\"def\n");
    EXPECT_EQ(values.at("DOUBLE"), "line1\nline2\r!");
    EXPECT_EQ(values.at("SINGLE"), "raw\\nvalue # kept");
    EXPECT_EQ(values.at("BACKTICK"), "it's \"quoted\"");
    EXPECT_EQ(values.at("HASH"), "a # b");
    EXPECT_EQ(values.at("SPACES"), "  inner  ");
    EXPECT_EQ(values.at("ESCAPED"), "say \\\"hi\\\"");  // dotenv keeps the backslashes
    EXPECT_EQ(values.at("MULTI"), "first\nsecond");
    EXPECT_EQ(values.at("AFTER"), "1");
    EXPECT_EQ(values.at("UNCLOSED"), "\"abc");
    EXPECT_EQ(values.at("TRAILING"), "\"abc\"def");
}

TEST(Dotenv, CrLfAndLaterKeysWin) {
    const auto values = parse_dotenv("A=1\r\nB=\"x\\ny\"\r\nA=2\r\n");
    EXPECT_EQ(values.at("A"), "2");
    EXPECT_EQ(values.at("B"), "x\ny");
}

class ReadEnvironment : public ::testing::Test {
protected:
    void SetUp() override {
        path_ = std::filesystem::temp_directory_path() /
                ("portcullis_dotenv_" + std::to_string(::getpid()) + ".env");
        ::setenv("PORTCULLIS_TEST_REAL", "from-env", 1);
        ::setenv("PORTCULLIS_TEST_EMPTY", "", 1);
        ::unsetenv("PORTCULLIS_TEST_FILE_ONLY");
    }
    void TearDown() override {
        ::unsetenv("PORTCULLIS_TEST_REAL");
        ::unsetenv("PORTCULLIS_TEST_EMPTY");
        std::filesystem::remove(path_);
    }
    std::filesystem::path path_;
};

TEST_F(ReadEnvironment, FileNeverOverridesTheRealEnvironment) {
    std::ofstream(path_) << "PORTCULLIS_TEST_REAL=from-file\n"
                            "PORTCULLIS_TEST_EMPTY=from-file\n"
                            "PORTCULLIS_TEST_FILE_ONLY='file value'\n";
    const Environment env = read_environment(path_.string());
    EXPECT_EQ(env.at("PORTCULLIS_TEST_REAL"), "from-env");
    EXPECT_EQ(env.at("PORTCULLIS_TEST_EMPTY"), "");  // set to empty is still set
    EXPECT_EQ(env.at("PORTCULLIS_TEST_FILE_ONLY"), "file value");
}

TEST_F(ReadEnvironment, MissingFileIsFine) {
    const Environment env = read_environment((path_ / "missing.env").string());
    EXPECT_EQ(env.at("PORTCULLIS_TEST_REAL"), "from-env");
    EXPECT_EQ(env.count("PORTCULLIS_TEST_FILE_ONLY"), 0U);
}

}  // namespace
}  // namespace portcullis::config
