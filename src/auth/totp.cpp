// See totp.hpp. HMAC through OpenSSL's one-shot HMAC(); codes are compared with CRYPTO_memcmp.
#include "auth/totp.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <stdexcept>

#include "util/random.hpp"

namespace portcullis::auth::totp {
namespace {

constexpr std::string_view kBase32Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

const EVP_MD* digest_of(Hash hash) {
    switch (hash) {
        case Hash::sha1:
            return EVP_sha1();
        case Hash::sha256:
            return EVP_sha256();
        case Hash::sha512:
            return EVP_sha512();
    }
    return EVP_sha1();
}

int base32_value(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a';
    if (c >= '2' && c <= '7') return c - '2' + 26;
    return -1;
}

// RFC 3986 unreserved characters stay; everything else is %XX.
void append_percent_encoded(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
                                c == '~';
        if (unreserved) {
            out.push_back(c);
        } else {
            out.push_back('%');
            out.push_back(kHex[byte >> 4]);
            out.push_back(kHex[byte & 0x0f]);
        }
    }
}

}  // namespace

std::string hotp(std::string_view key, std::uint64_t counter, int digits, Hash hash) {
    if (digits < 1 || digits > 9) throw std::invalid_argument("HOTP digits must be 1..9");
    std::array<unsigned char, 8> message{};
    for (int i = 7; i >= 0; --i) {
        message[static_cast<std::size_t>(i)] = static_cast<unsigned char>(counter & 0xffU);
        counter >>= 8;
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int length = 0;
    // An empty key is valid HMAC input; OpenSSL wants a non-null pointer for it.
    static constexpr unsigned char kEmpty = 0;
    const void* key_data = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
    if (HMAC(digest_of(hash), key_data, static_cast<int>(key.size()), message.data(),
             message.size(), mac.data(), &length) == nullptr ||
        length < 20) {
        throw std::runtime_error("HMAC for HOTP failed");
    }
    // Dynamic truncation: the low nibble of the last byte picks 4 bytes, top bit cleared.
    const unsigned offset = mac[length - 1] & 0x0fU;
    const std::uint32_t binary = (static_cast<std::uint32_t>(mac[offset] & 0x7fU) << 24) |
                                 (static_cast<std::uint32_t>(mac[offset + 1]) << 16) |
                                 (static_cast<std::uint32_t>(mac[offset + 2]) << 8) |
                                 static_cast<std::uint32_t>(mac[offset + 3]);
    std::uint32_t modulus = 1;
    for (int i = 0; i < digits; ++i) modulus *= 10;
    std::uint32_t value = binary % modulus;
    std::string out(static_cast<std::size_t>(digits), '0');
    for (int i = digits - 1; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
        value /= 10;
    }
    return out;
}

std::int64_t step_at(std::int64_t unix_seconds) {
    // Floor division: times before the epoch never occur, but the rule stays exact.
    const std::int64_t step = unix_seconds / kStepSeconds;
    return (unix_seconds % kStepSeconds < 0) ? step - 1 : step;
}

std::optional<std::int64_t> match(std::string_view key, std::string_view code,
                                  std::int64_t unix_seconds, int window) {
    if (code.size() != static_cast<std::size_t>(kDigits)) return std::nullopt;
    const std::int64_t current = step_at(unix_seconds);
    std::optional<std::int64_t> found;
    for (std::int64_t step = current - window; step <= current + window; ++step) {
        if (step < 0) continue;
        const std::string expected = hotp(key, static_cast<std::uint64_t>(step));
        const bool same = CRYPTO_memcmp(expected.data(), code.data(), expected.size()) == 0;
        // The earliest matching step wins, so a replay guard on the step is as strict as it can be.
        if (same && !found) found = step;
    }
    return found;
}

std::string new_secret() {
    std::string secret(kSecretBytes, '\0');
    util::random_bytes(secret.data(), secret.size());
    return secret;
}

std::string base32_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() * 8 + 4) / 5);
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const char c : bytes) {
        buffer = (buffer << 8) | static_cast<unsigned char>(c);
        bits += 8;
        while (bits >= 5) {
            out.push_back(kBase32Alphabet[(buffer >> (bits - 5)) & 0x1fU]);
            bits -= 5;
        }
    }
    if (bits > 0) out.push_back(kBase32Alphabet[(buffer << (5 - bits)) & 0x1fU]);
    return out;
}

std::optional<std::string> base32_decode(std::string_view text) {
    while (!text.empty() && text.back() == '=') text.remove_suffix(1);
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    std::size_t symbols = 0;
    for (const char c : text) {
        if (c == ' ') continue;
        const int value = base32_value(c);
        if (value < 0) return std::nullopt;
        ++symbols;
        buffer = (buffer << 5) | static_cast<std::uint32_t>(value);
        bits += 5;
        if (bits >= 8) {
            out.push_back(static_cast<char>((buffer >> (bits - 8)) & 0xffU));
            bits -= 8;
        }
    }
    // Lengths 1, 3 and 6 (mod 8) are never produced by an encoder.
    const std::size_t tail = symbols % 8;
    if (tail == 1 || tail == 3 || tail == 6) return std::nullopt;
    return out;
}

std::string otpauth_uri(std::string_view issuer, std::string_view account,
                        std::string_view secret_base32) {
    std::string uri = "otpauth://totp/";
    append_percent_encoded(uri, issuer);
    uri += ':';
    append_percent_encoded(uri, account);
    uri += "?secret=";
    uri += secret_base32;
    uri += "&issuer=";
    append_percent_encoded(uri, issuer);
    uri += "&algorithm=SHA1&digits=6&period=30";
    return uri;
}

}  // namespace portcullis::auth::totp
