// Cryptographically secure randomness (OpenSSL's per-thread DRBG): ids and tokens.
#pragma once

#include <cstddef>
#include <string>

namespace portcullis::util {

// Fills `size` bytes; throws std::runtime_error only if the system RNG fails.
void random_bytes(void* out, std::size_t size);

// A random RFC 4122 version-4 UUID in lower-case text form.
std::string uuid_v4();

}  // namespace portcullis::util
