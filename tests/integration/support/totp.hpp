// What an authenticator app computes (RFC 6238: HMAC-SHA-1, 6 digits, 30 s) from the base32
// secret of a TOTP enrolment, written here independently of the server's code so a test checks
// the server against the standard, not against itself.
#pragma once

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>

namespace portcullis::test {

inline std::string base32_decode(const std::string& text) {
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const char c : text) {
        int value = -1;
        if (c >= 'A' && c <= 'Z') value = c - 'A';
        if (c >= '2' && c <= '7') value = c - '2' + 26;
        if (value < 0) throw std::invalid_argument("not base32: " + text);
        buffer = (buffer << 5) | static_cast<std::uint32_t>(value);
        bits += 5;
        if (bits >= 8) {
            out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xffU));
            bits -= 8;
        }
    }
    return out;
}

// The code of `secret_base32` for the 30-second step `offset` steps away from now.
inline std::string totp_code(const std::string& secret_base32, int offset = 0) {
    const std::string key = base32_decode(secret_base32);
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    std::uint64_t counter = static_cast<std::uint64_t>(seconds / 30 + offset);
    unsigned char message[8];
    for (int i = 7; i >= 0; --i) {
        message[i] = static_cast<unsigned char>(counter & 0xffU);
        counter >>= 8;
    }
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()), message, sizeof message, mac,
         &length);
    const unsigned offset_byte = mac[length - 1] & 0x0fU;
    const std::uint32_t binary = ((mac[offset_byte] & 0x7fU) << 24) |
                                 (static_cast<std::uint32_t>(mac[offset_byte + 1]) << 16) |
                                 (static_cast<std::uint32_t>(mac[offset_byte + 2]) << 8) |
                                 mac[offset_byte + 3];
    char code[8];
    std::snprintf(code, sizeof code, "%06u", binary % 1000000U);
    return code;
}

// Seconds until the current 30-second step ends.
inline int seconds_left_in_step() {
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    return static_cast<int>(30 - seconds % 30);
}

}  // namespace portcullis::test
