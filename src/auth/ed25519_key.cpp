// See ed25519_key.hpp.
#include "auth/ed25519_key.hpp"

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <array>
#include <stdexcept>

#include "auth/jwt.hpp"

namespace portcullis::auth {
namespace {

struct BioFree {
    void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdContextFree {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using Bio = std::unique_ptr<BIO, BioFree>;
using MdContext = std::unique_ptr<EVP_MD_CTX, MdContextFree>;

std::shared_ptr<EVP_PKEY> adopt(EVP_PKEY* key) {
    return {key, [](EVP_PKEY* k) { EVP_PKEY_free(k); }};
}

std::string sha256(std::string_view data) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed");
    }
    return {reinterpret_cast<const char*>(digest.data()), length};
}

}  // namespace

Ed25519Key::Ed25519Key(std::shared_ptr<evp_pkey_st> key) : key_(std::move(key)) {
    std::array<unsigned char, 32> raw{};
    std::size_t length = raw.size();
    if (EVP_PKEY_get_raw_public_key(key_.get(), raw.data(), &length) != 1 || length != 32) {
        throw std::runtime_error("cannot read the Ed25519 public key");
    }
    x_ = base64url_encode(std::string_view(reinterpret_cast<const char*>(raw.data()), length));
    // The members in lexicographic order, no white space (RFC 7638 section 3).
    kid_ = base64url_encode(sha256(R"({"crv":"Ed25519","kty":"OKP","x":")" + x_ + "\"}"));
}

std::optional<Ed25519Key> Ed25519Key::from_pem(std::string_view pem, std::string& error) {
    Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
    if (!bio) throw std::runtime_error("out of memory");
    auto key = adopt(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key) {
        error = "not a PEM private key";
        return std::nullopt;
    }
    if (EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_ED25519) {
        error = "not an Ed25519 key";
        return std::nullopt;
    }
    return Ed25519Key(std::move(key));
}

Ed25519Key Ed25519Key::generate() {
    auto key = adopt(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
    if (!key) throw std::runtime_error("Ed25519 key generation failed");
    return Ed25519Key(std::move(key));
}

std::string Ed25519Key::private_pem() const {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr,
                                         nullptr) != 1) {
        throw std::runtime_error("cannot write the Ed25519 key");
    }
    char* data = nullptr;
    const long size = BIO_get_mem_data(bio.get(), &data);
    return {data, static_cast<std::size_t>(size)};
}

std::string Ed25519Key::sign(std::string_view data) const {
    MdContext ctx(EVP_MD_CTX_new());
    std::string signature(64, '\0');
    std::size_t length = signature.size();
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1 ||
        EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1 ||
        length != 64) {
        throw std::runtime_error("Ed25519 signing failed");
    }
    return signature;
}

bool Ed25519Key::verify(std::string_view data, std::string_view signature) const {
    if (signature.size() != 64) return false;
    MdContext ctx(EVP_MD_CTX_new());
    if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_.get()) != 1) {
        throw std::runtime_error("Ed25519 verification failed to start");
    }
    return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                            signature.size(), reinterpret_cast<const unsigned char*>(data.data()),
                            data.size()) == 1;
}

}  // namespace portcullis::auth
