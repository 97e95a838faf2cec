// Lower-case hex SHA-256 for tests that check stored digests (token hashes, migration checksums).
#pragma once

#include <openssl/sha.h>

#include <string>

namespace portcullis::test {

inline std::string sha256_hex(const std::string& text) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    for (const unsigned char b : digest) {
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 0x0f]);
    }
    return out;
}

}  // namespace portcullis::test
