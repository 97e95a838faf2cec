// One-time tokens sealed while they wait in the email outbox (issue #18 item 10; design section 5:
// raw tokens are never stored). AES-256-GCM under a key derived with HKDF-SHA256 from a server
// secret every replica has, the outbox row's id bound as associated data (a sealed token moved to
// another row does not open). Stored form: `v1:` + base64url(12-byte nonce | ciphertext | 16-byte
// tag), 98 characters for a 43-character token; the prefix names the format so a later one can be
// told apart.
// The service derives the key from JWT_REFRESH_SECRET: it is required, at least 32 characters, the
// same on every replica (sessions already depend on that) and never stored in the database. HKDF
// with its own info string makes the key independent of the JWT signing key. Rotating the secret
// only costs pending emails their sealed token: the sender then mails a fresh one.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::auth {

class TokenSealer {
public:
    // The HKDF info string: changing the derivation means a new version prefix.
    static constexpr std::string_view kKeyInfo = "portcullis email-outbox token v1";
    static constexpr std::string_view kPrefix = "v1:";

    // Derives the key from `secret` (the service uses JWT_REFRESH_SECRET: see main.cpp).
    explicit TokenSealer(std::string_view secret);
    ~TokenSealer();
    TokenSealer(const TokenSealer&) = delete;
    TokenSealer& operator=(const TokenSealer&) = delete;

    // `token` encrypted with a fresh random nonce, bound to `row_id`. Thread-safe.
    std::string seal(std::string_view token, std::string_view row_id) const;

    // The token in a stored value: a `v1:` value is opened; a value without a version prefix is a
    // token an earlier release stored in plain, returned as it is (upgrades lose no email).
    // nullopt when a sealed value does not open (another key, another row, altered). Thread-safe.
    std::optional<std::string> open(std::string_view stored, std::string_view row_id) const;

private:
    std::array<unsigned char, 32> key_{};
};

}  // namespace portcullis::auth
