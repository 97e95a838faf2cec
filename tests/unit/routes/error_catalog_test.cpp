// The README's error-code table against the catalog the routes answer from and the OpenAPI
// document is built from (issue #19): every code is documented with its status and message.
#include "routes/error_catalog.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

namespace portcullis::routes {
namespace {

std::string readme_section(const std::string& heading) {
    std::ifstream in(std::string(PORTCULLIS_SOURCE_DIR) + "/README.md");
    std::stringstream text;
    text << in.rdbuf();
    const std::string all = text.str();
    const auto start = all.find(heading);
    if (start == std::string::npos) return {};
    return all.substr(start, all.find("\n### ", start + heading.size()) - start);
}

TEST(ErrorCatalog, ReadmeTableListsEveryCodeWithItsStatusAndMessage) {
    const std::string table = readme_section("### Error codes");
    ASSERT_FALSE(table.empty());
    for (const auto& entry : errors::catalog()) {
        SCOPED_TRACE(std::string(entry.code));
        bool found = false;
        std::istringstream lines(table);
        for (std::string line; std::getline(lines, line);) {
            if (!line.starts_with("| " + std::to_string(entry.status) + " |")) continue;
            if (line.find("`" + std::string(entry.code) + "`") == std::string::npos) continue;
            found = true;
            EXPECT_NE(line.find("`" + std::string(entry.message) + "`"), std::string::npos) << line;
        }
        EXPECT_TRUE(found);
    }
}

}  // namespace
}  // namespace portcullis::routes
