// Opaque one-time tokens and SHA-256 hex digests; see one_time_token.hpp.
#include "auth/one_time_token.hpp"

#include <openssl/evp.h>

#include <array>
#include <stdexcept>

#include "auth/jwt.hpp"
#include "util/random.hpp"

namespace portcullis::auth {

namespace {
// Fetched once: an implicit fetch on every digest takes the provider store's lock.
const EVP_MD* sha256_md() {
    static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (md == nullptr) {
        throw std::runtime_error("OpenSSL SHA-256 is unavailable");
    }
    return md;
}
}  // namespace

std::string new_one_time_token() {
    std::array<unsigned char, 32> bytes{};
    util::random_bytes(bytes.data(), bytes.size());
    return base64url_encode(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

std::string sha256_hex(std::string_view text) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(text.data(), text.size(), digest.data(), &length, sha256_md(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(std::size_t{length} * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out.push_back(kHex[digest[i] >> 4]);
        out.push_back(kHex[digest[i] & 0x0fU]);
    }
    return out;
}

}  // namespace portcullis::auth
