// Fuzz target: Argon2 PHC strings as stored in the database (auth/password.hpp). Any text is a
// verdict (match, mismatch, invalid_hash), never a crash; strings our parser accepts with small
// costs are also verified by libsodium (bigger ones would only measure Argon2's speed); and a
// hash we make verifies, with its own parameters needing no rehash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/password.hpp"
#include "fuzz_check.hpp"

namespace {
// The number after `key=` in `text`, or a huge value when absent or unparsable.
std::uint64_t parameter(std::string_view text, std::string_view key) {
    const auto at = text.find(key);
    if (at == std::string_view::npos) return UINT64_MAX;
    std::uint64_t value = 0;
    std::size_t i = at + key.size();
    if (i >= text.size() || text[i] < '0' || text[i] > '9') return UINT64_MAX;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
        value = value * 10 + static_cast<std::uint64_t>(text[i] - '0');
        if (value > 1'000'000) return UINT64_MAX;
    }
    return value;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace portcullis::auth;
    const std::string_view phc(reinterpret_cast<const char*>(data), size);
    const Argon2Params ours{8, 1};
    const bool rehash = needs_rehash(phc, ours);
    // Only cheap strings are worth verifying: m <= 64 KiB, t <= 2, p <= 2.
    if (parameter(phc, "m=") <= 64 && parameter(phc, "t=") <= 2 && parameter(phc, ",p=") <= 2) {
        const auto verdict = verify_password("password", phc);
        if (verdict != PasswordCheck::invalid_hash) FUZZ_CHECK(phc.starts_with("$argon2i"));
    }
    if (!rehash) FUZZ_CHECK(phc.starts_with("$argon2id$v=19$m="));

    // The input as a password: our own hash verifies it and nothing else.
    if (size <= 256) {
        const std::string hash = hash_password(phc, ours);
        FUZZ_CHECK(verify_password(phc, hash) == PasswordCheck::match);
        FUZZ_CHECK(!needs_rehash(hash, ours));
        FUZZ_CHECK(verify_password(std::string(phc) + "x", hash) == PasswordCheck::mismatch);
    }
    return 0;
}
