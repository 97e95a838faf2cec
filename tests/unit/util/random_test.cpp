// Request ids and token bytes come from util/random: format and uniqueness.
#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "util/random.hpp"

namespace portcullis::util {
namespace {

TEST(UuidV4, HasTheVersionAndVariantBitsAndIsFreshEachTime) {
    const std::regex shape("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
    std::set<std::string> seen;
    // More than one 4 KiB block of the per-thread pool, so refills are crossed too.
    for (int i = 0; i < 1000; ++i) {
        const std::string id = uuid_v4();
        ASSERT_TRUE(std::regex_match(id, shape)) << id;
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 1000u);
}

}  // namespace
}  // namespace portcullis::util
