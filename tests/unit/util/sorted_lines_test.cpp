// Binary search over sorted lines read in place (the password list and HIBP-style files).
#include "util/sorted_lines.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace portcullis::util {
namespace {

TEST(SortedLines, FindsEveryLineAndNothingBetween) {
    const std::string text = "alpha\nbeta\ndelta\ngamma\nomega\n";
    for (const char* key : {"alpha", "beta", "delta", "gamma", "omega"}) {
        EXPECT_TRUE(contains_key({.text = text}, key)) << key;
    }
    for (const char* key : {"", "a", "alph", "alphaa", "charlie", "zulu", "omega\n"}) {
        EXPECT_FALSE(contains_key({.text = text}, key)) << key;
    }
}

TEST(SortedLines, LastLineWithoutNewlineAndCarriageReturns) {
    const std::string text = "0A:1\r\n0B:22\r\n0C:333";
    const SortedLines lines{.text = text, .delimiter = ':'};
    EXPECT_TRUE(contains_key(lines, "0A"));
    EXPECT_TRUE(contains_key(lines, "0B"));
    EXPECT_TRUE(contains_key(lines, "0C"));
    EXPECT_FALSE(contains_key(lines, "0D"));
    EXPECT_FALSE(contains_key(lines, "0B:22"));
}

TEST(SortedLines, FoldsLowerCaseHexWhenAsked) {
    const std::string text = "0a1b:5\n0a1c:7\nffff:1\n";
    EXPECT_TRUE(contains_key({.text = text, .delimiter = ':', .fold_case = true}, "0A1C"));
    EXPECT_FALSE(contains_key({.text = text, .delimiter = ':', .fold_case = false}, "0A1C"));
}

TEST(SortedLines, LargeBlockNeedsLogarithmicallyManyProbes) {
    std::string text;
    for (int i = 0; i < 100000; ++i) {
        char line[16];
        std::snprintf(line, sizeof line, "%08d:1\n", i * 3);
        text += line;
    }
    const SortedLines lines{.text = text, .delimiter = ':'};
    std::vector<std::size_t> probed;
    EXPECT_TRUE(contains_key(lines, "00150000", &probed));
    EXPECT_LE(probed.size(), 20U);
    for (const std::size_t offset : probed) {
        EXPECT_TRUE(offset == 0 || text[offset - 1] == '\n') << "probes start at a line";
    }
    EXPECT_FALSE(contains_key(lines, "00150001"));
    EXPECT_TRUE(contains_key(lines, "00000000"));
    EXPECT_TRUE(contains_key(lines, "00299997"));
}

TEST(SortedLines, EmptyAndUnsortedBlocksAnswerWithoutReadingOutside) {
    EXPECT_FALSE(contains_key({.text = ""}, "x"));
    EXPECT_FALSE(contains_key({.text = "\n\n\n"}, "x"));
    // Unsorted: answers may be wrong, but the search ends inside the block.
    const std::string shuffled = "m\nz\na\nq\nb\n";
    for (const char* key : {"a", "b", "m", "q", "z", "zz"}) contains_key({.text = shuffled}, key);
}

}  // namespace
}  // namespace portcullis::util
