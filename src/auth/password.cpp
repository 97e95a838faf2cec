// Argon2 hashing and verification with libsodium (decisions D); see password.hpp.
#include "auth/password.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <optional>
#include <stdexcept>

namespace portcullis::auth {

namespace {

void ensure_sodium() {
    // sodium_init() is idempotent and thread-safe, but once is enough.
    static const bool ready = sodium_init() >= 0;
    if (!ready) {
        throw std::runtime_error("libsodium failed to initialize");
    }
}

enum class Algorithm { argon2id, argon2i };

struct Phc {
    Algorithm algorithm = Algorithm::argon2id;
    std::uint32_t memory_kib = 0;
    std::uint32_t iterations = 0;
    std::uint32_t lanes = 0;
};

bool consume(std::string_view& text, std::string_view prefix) {
    if (!text.starts_with(prefix)) return false;
    text.remove_prefix(prefix.size());
    return true;
}

std::optional<std::uint32_t> consume_decimal(std::string_view& text) {
    std::size_t digits = 0;
    std::uint64_t value = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
        value = value * 10 + static_cast<std::uint64_t>(text[digits] - '0');
        if (value > 0xffffffffULL) return std::nullopt;
        ++digits;
    }
    if (digits == 0) return std::nullopt;
    text.remove_prefix(digits);
    return static_cast<std::uint32_t>(value);
}

// One unpadded standard-base64 field of at least `min_bytes` decoded bytes, up to the next `$`.
bool consume_base64(std::string_view& text, std::size_t min_bytes) {
    std::size_t length = 0;
    while (length < text.size() && text[length] != '$') {
        const char c = text[length];
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '+' || c == '/';
        if (!ok) return false;
        ++length;
    }
    if (length % 4 == 1 || length * 3 / 4 < min_bytes) return false;
    text.remove_prefix(length);
    return true;
}

// `$argon2id|argon2i$v=19$m=<m>,t=<t>,p=<p>$<salt>$<hash>` within Argon2's limits, which is what
// libsodium's decoder accepts (it refuses other versions and a missing `v=`, as tested). Lets a
// corrupt stored value be told apart from a wrong password.
std::optional<Phc> parse_phc(std::string_view text) {
    Phc phc;
    if (consume(text, "$argon2id$")) {
        phc.algorithm = Algorithm::argon2id;
    } else if (consume(text, "$argon2i$")) {
        phc.algorithm = Algorithm::argon2i;
    } else {
        return std::nullopt;
    }
    if (!consume(text, "v=19$m=")) return std::nullopt;
    const auto m = consume_decimal(text);
    if (!m || !consume(text, ",t=")) return std::nullopt;
    const auto t = consume_decimal(text);
    if (!t || !consume(text, ",p=")) return std::nullopt;
    const auto p = consume_decimal(text);
    if (!p || !consume(text, "$")) return std::nullopt;
    // Argon2's own bounds: 1..2^24-1 lanes, at least one pass, 8 KiB per lane, salt >= 8 bytes,
    // tag >= 16 bytes (libsodium's minimum output).
    if (*p < 1 || *p > 0xffffffU || *t < 1 || *m < 8ULL * *p) return std::nullopt;
    if (!consume_base64(text, 8) || !consume(text, "$") || !consume_base64(text, 16)) {
        return std::nullopt;
    }
    if (!text.empty()) return std::nullopt;
    phc.memory_kib = *m;
    phc.iterations = *t;
    phc.lanes = *p;
    return phc;
}

}  // namespace

std::string hash_password(std::string_view password, const Argon2Params& params) {
    ensure_sodium();
    std::array<char, crypto_pwhash_STRBYTES> out{};
    const char* data = password.empty() ? "" : password.data();
    // libsodium hashes with one lane: the same memory and passes as the reference's p=4.
    if (crypto_pwhash_str_alg(out.data(), data, password.size(), params.iterations,
                              std::size_t{params.memory_kib} * 1024U,
                              crypto_pwhash_ALG_ARGON2ID13) != 0) {
        throw std::runtime_error(
            "Argon2 hashing failed (out of memory or parameters out of range)");
    }
    return std::string(out.data());
}

PasswordCheck verify_password(std::string_view password, std::string_view phc) {
    ensure_sodium();
    if (!parse_phc(phc)) {
        return PasswordCheck::invalid_hash;
    }
    // libsodium wants a NUL-terminated string and declares the parameter as a 128-byte array:
    // pad with NULs so that promise holds for short strings too (parse_phc refused inner NULs).
    std::string encoded(phc);
    encoded.resize(std::max<std::size_t>(encoded.size(), crypto_pwhash_STRBYTES), '\0');
    const char* data = password.empty() ? "" : password.data();
    errno = 0;
    if (crypto_pwhash_str_verify(encoded.c_str(), data, password.size()) == 0) {
        return PasswordCheck::match;
    }
    // libsodium reports a computed-but-different tag with EINVAL; a string it cannot use leaves
    // errno alone, and a failed allocation is a resource problem, not a verdict on the password.
    const int error = errno;
    if (error == EINVAL) {
        return PasswordCheck::mismatch;
    }
    if (error == ENOMEM) {
        throw std::runtime_error("Argon2 verification ran out of memory");
    }
    return PasswordCheck::invalid_hash;
}

bool needs_rehash(std::string_view phc, const Argon2Params& params) {
    const auto parsed = parse_phc(phc);
    // Lanes too (issue #16): the reference's p=4 hashes move to the one lane libsodium makes, so
    // every stored hash ends up with the configured parameters.
    return !parsed || parsed->algorithm != Algorithm::argon2id ||
           parsed->memory_kib != params.memory_kib || parsed->iterations != params.iterations ||
           parsed->lanes != 1;
}

}  // namespace portcullis::auth
