// The Ed25519 keys of EdDSA access tokens (issue #15), from JWT_SIGNING_KEYS_DIR (every `*.pem`
// file, in name order: the last one signs, all verify, so a new key file named after the current
// ones takes over signing while tokens of the older keys still verify until they expire) or from
// one PEM in JWT_SIGNING_KEY. `portcullis keys generate` names files by UTC time, which keeps that
// order.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "auth/ed25519_key.hpp"

namespace portcullis::auth {

// nullopt with `error` naming the file and the problem when a key cannot be used, the folder
// cannot be read or holds no key.
std::optional<std::vector<Ed25519Key>> load_signing_keys(const std::optional<std::string>& dir,
                                                         const std::optional<std::string>& pem,
                                                         std::string& error);

// A new key written to `dir` as `<UTC time>-<sequence>.pem` (mode 0600, never overwriting), a name
// that sorts after every key written before it; returns the path.
// Throws std::runtime_error when the file cannot be written.
std::string write_new_signing_key(const std::string& dir, const Ed25519Key& key);

}  // namespace portcullis::auth
