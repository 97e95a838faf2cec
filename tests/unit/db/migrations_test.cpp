// The embedded migrations (cmake/EmbedMigrations.cmake): contract 7.1 names and checksums, in
// order, and byte-exact copies of src/db/migrations/*/migration.sql.
#include <gtest/gtest.h>

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "db/migrate.hpp"

namespace portcullis::db {
namespace {

const std::filesystem::path kMigrationsDir =
    std::filesystem::path(PORTCULLIS_VECTORS_DIR) / ".." / ".." / "src" / "db" / "migrations";

// Contract 7.1. The checksums are those of the reference's files, which ours need not equal
// byte for byte: they are what `_prisma_migrations` must record (decisions D).
const std::vector<std::pair<std::string_view, std::string_view>> kContract = {
    {"20251013212217_add_user_and_session",
     "79eb45f661380093497968e14960f90bc68fbe300685a8c10651ac84116215a9"},
    {"20251026053000_add_session_expiration",
     "9e21501b47480ee29fefb62669662be31c5badc76d179acd1e0a26d711031f2b"},
    {"20251101000000_remove_session_expiration",
     "9428d918ec263d706e88a4dbe455420ce46dd65788b08c58edd4f7ee7922ed29"},
    {"20251102010100_auth_lifecycle",
     "4aefcd1234a41a1202536b099ab7b8546bafc729df7bc4790c20ba9d9b7f8eb4"},
    {"20251102030000_add_user_role",
     "3c1791ff5c8ba102b9a3242a8729931dd7ceea93f3103f18e0d74413e390595d"},
};

std::string read_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string sha256_hex(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr);
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        static constexpr char kHex[] = "0123456789abcdef";
        out.push_back(kHex[digest[i] >> 4U]);
        out.push_back(kHex[digest[i] & 0x0FU]);
    }
    return out;
}

TEST(EmbeddedMigrations, TheFiveContractMigrationsComeFirstInOrderWithTheContractChecksums) {
    const auto& migrations = embedded_migrations();
    ASSERT_GE(migrations.size(), kContract.size());
    for (std::size_t i = 0; i < kContract.size(); ++i) {
        EXPECT_EQ(migrations[i].name, kContract[i].first);
        EXPECT_EQ(migrations[i].checksum, kContract[i].second) << migrations[i].name;
    }
}

TEST(EmbeddedMigrations, AreSortedByNameAndLaterOnesRecordTheSha256OfTheirBytes) {
    const auto& migrations = embedded_migrations();
    EXPECT_TRUE(
        std::is_sorted(migrations.begin(), migrations.end(),
                       [](const Migration& a, const Migration& b) { return a.name < b.name; }));
    // Portcullis' own later migrations use later timestamps (decisions D).
    for (std::size_t i = kContract.size(); i < migrations.size(); ++i) {
        EXPECT_GT(migrations[i].name, kContract.back().first);
        EXPECT_EQ(migrations[i].checksum, sha256_hex(migrations[i].sql)) << migrations[i].name;
    }
}

TEST(EmbeddedMigrations, AreByteExactCopiesOfEveryMigrationFile) {
    std::vector<std::string> folders;
    for (const auto& entry : std::filesystem::directory_iterator(kMigrationsDir)) {
        if (entry.is_directory() && std::filesystem::exists(entry.path() / "migration.sql")) {
            folders.push_back(entry.path().filename().string());
        }
    }
    std::sort(folders.begin(), folders.end());
    const auto& migrations = embedded_migrations();
    ASSERT_EQ(migrations.size(), folders.size()) << "every folder is embedded, nothing else";
    for (std::size_t i = 0; i < folders.size(); ++i) {
        EXPECT_EQ(migrations[i].name, folders[i]);
        const std::string bytes = read_file(kMigrationsDir / folders[i] / "migration.sql");
        EXPECT_EQ(migrations[i].sql.size(), bytes.size()) << folders[i];
        EXPECT_EQ(migrations[i].sql, bytes) << folders[i];
        // Contract 7.1: LF line endings.
        EXPECT_EQ(bytes.find('\r'), std::string::npos) << folders[i];
    }
}

TEST(EmbeddedMigrations, TheLockFileDeclaresPostgresql) {
    EXPECT_NE(read_file(kMigrationsDir / "migration_lock.toml").find("provider = \"postgresql\""),
              std::string::npos);
}

}  // namespace
}  // namespace portcullis::db
