// See token_sealer.hpp. OpenSSL 3 EVP interfaces: HKDF through EVP_KDF, AES-256-GCM through
// EVP_CIPHER with the default 96-bit nonce. Random nonces are safe for far more seals than one key
// ever sees here (NIST SP 800-38D bounds them at 2^32 per key).
#include "auth/token_sealer.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>

#include <algorithm>
#include <memory>
#include <stdexcept>

#include "auth/jwt.hpp"
#include "util/random.hpp"

namespace portcullis::auth {
namespace {
constexpr std::size_t kNonceBytes = 12;
constexpr std::size_t kTagBytes = 16;

struct CipherContextFree {
    void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherContext = std::unique_ptr<EVP_CIPHER_CTX, CipherContextFree>;

// Fetched once: an implicit fetch on every use takes the provider store's lock.
const EVP_CIPHER* aes_256_gcm() {
    static EVP_CIPHER* const cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    if (cipher == nullptr) throw std::runtime_error("OpenSSL AES-256-GCM is unavailable");
    return cipher;
}

const unsigned char* bytes(std::string_view text) {
    return reinterpret_cast<const unsigned char*>(text.data());
}

int length(std::string_view text) {
    return static_cast<int>(text.size());
}
}  // namespace

TokenSealer::TokenSealer(std::string_view secret) {
    EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
    EVP_KDF_CTX* ctx = kdf != nullptr ? EVP_KDF_CTX_new(kdf) : nullptr;
    EVP_KDF_free(kdf);
    if (ctx == nullptr) throw std::runtime_error("OpenSSL HKDF is unavailable");
    std::string digest = "SHA256";
    std::string ikm(secret);
    std::string info(kKeyInfo);
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest.data(), 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, ikm.data(), ikm.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info.data(), info.size()),
        OSSL_PARAM_construct_end()};
    const int ok = EVP_KDF_derive(ctx, key_.data(), key_.size(), params);
    EVP_KDF_CTX_free(ctx);
    OPENSSL_cleanse(ikm.data(), ikm.size());
    if (ok != 1) throw std::runtime_error("HKDF key derivation failed");
}

TokenSealer::~TokenSealer() {
    OPENSSL_cleanse(key_.data(), key_.size());
}

std::string TokenSealer::seal(std::string_view token, std::string_view row_id) const {
    std::string sealed(kNonceBytes + token.size() + kTagBytes, '\0');
    auto* out = reinterpret_cast<unsigned char*>(sealed.data());
    util::random_bytes(out, kNonceBytes);
    CipherContext ctx(EVP_CIPHER_CTX_new());
    int n = 0;
    int tail = 0;
    if (!ctx || EVP_EncryptInit_ex2(ctx.get(), aes_256_gcm(), key_.data(), out, nullptr) != 1 ||
        EVP_EncryptUpdate(ctx.get(), nullptr, &n, bytes(row_id), length(row_id)) != 1 ||
        EVP_EncryptUpdate(ctx.get(), out + kNonceBytes, &n, bytes(token), length(token)) != 1 ||
        EVP_EncryptFinal_ex(ctx.get(), out + kNonceBytes + n, &tail) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                            out + kNonceBytes + token.size()) != 1) {
        throw std::runtime_error("AES-256-GCM encryption failed");
    }
    return std::string(kPrefix) + base64url_encode(sealed);
}

std::optional<std::string> TokenSealer::open(std::string_view stored,
                                             std::string_view row_id) const {
    if (!stored.starts_with(kPrefix)) return std::string(stored);
    const std::string_view encoded = stored.substr(kPrefix.size());
    const auto sealed = base64url_decode(encoded);
    // Only the canonical encoding opens: the decoder ignores the unused low bits of the last
    // character (as JWT decoding must), which would let one stored value have several spellings.
    if (!sealed || sealed->size() < kNonceBytes + kTagBytes ||
        base64url_encode(*sealed) != encoded) {
        return std::nullopt;
    }
    const auto* in = bytes(*sealed);
    const std::size_t text_size = sealed->size() - kNonceBytes - kTagBytes;
    std::string token(text_size, '\0');
    auto* out = reinterpret_cast<unsigned char*>(token.data());
    // GCM_SET_TAG takes a non-const pointer but only reads it.
    std::array<unsigned char, kTagBytes> tag{};
    std::copy_n(in + kNonceBytes + text_size, kTagBytes, tag.begin());
    CipherContext ctx(EVP_CIPHER_CTX_new());
    int n = 0;
    int tail = 0;
    if (!ctx || EVP_DecryptInit_ex2(ctx.get(), aes_256_gcm(), key_.data(), in, nullptr) != 1 ||
        EVP_DecryptUpdate(ctx.get(), nullptr, &n, bytes(row_id), length(row_id)) != 1 ||
        EVP_DecryptUpdate(ctx.get(), out, &n, in + kNonceBytes, static_cast<int>(text_size)) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes),
                            tag.data()) != 1 ||
        EVP_DecryptFinal_ex(ctx.get(), out + n, &tail) != 1) {
        OPENSSL_cleanse(token.data(), token.size());
        return std::nullopt;
    }
    return token;
}

}  // namespace portcullis::auth
