// Argon2 password hashing with libsodium (decisions D): new hashes are Argon2id with one lane and
// configurable memory/passes; verification accepts any Argon2id or Argon2i PHC string, including
// the reference's p=4 hashes. Both calls are CPU-heavy and blocking: run them on the CpuPool.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace portcullis::auth {

struct Argon2Params {
    std::uint32_t memory_kib = 65536;
    std::uint32_t iterations = 3;
};

// `$argon2id$v=19$m=<m>,t=<t>,p=1$<salt b64>$<hash b64>` (16-byte salt, 32-byte hash).
// Throws std::runtime_error if libsodium cannot allocate the memory.
std::string hash_password(std::string_view password, const Argon2Params& params);

enum class PasswordCheck { match, mismatch, invalid_hash };

// `invalid_hash` when `phc` is not an Argon2 PHC string libsodium can verify (contract 5.1: the
// caller answers 500 for that).
PasswordCheck verify_password(std::string_view password, std::string_view phc);

// True when `phc` was made with parameters other than `params` or with more than one lane (a
// candidate for rehash on login).
bool needs_rehash(std::string_view phc, const Argon2Params& params);

}  // namespace portcullis::auth
