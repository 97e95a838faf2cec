// See script.hpp.
#include "redis/script.hpp"

#include <openssl/evp.h>

#include <stdexcept>

namespace portcullis::redis {

Script::Script(std::string text) : source(std::move(text)) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(source.data(), source.size(), digest, &length, EVP_sha1(), nullptr) != 1) {
        throw std::runtime_error("SHA-1 of a Redis script failed");
    }
    static constexpr char kHex[] = "0123456789abcdef";
    for (unsigned int i = 0; i < length; ++i) {
        sha1 += kHex[digest[i] >> 4];
        sha1 += kHex[digest[i] & 0x0f];
    }
}

}  // namespace portcullis::redis
