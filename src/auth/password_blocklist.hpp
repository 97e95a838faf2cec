// The password blocklist of NIST SP 800-63B-4 (decisions E.5: on by default): new passwords
// (register, reset, change) are refused when they are common or known breached, or contain the
// account's e-mail local part. Two sources:
// - the built-in list (password_list.hpp), compared in a normalized form too, because the
//   composition rules already refuse most entries as written: case folded, common substitutions
//   undone (`@`→a, `0`→o, `$`→s, `1`→i or l, `3`→e …), leading and trailing digits and symbols
//   stripped, so `P@ssw0rd`, `Password123!` and `Summer2024!` are refused;
// - optionally a Have-I-Been-Pwned style file of `SHA1HEX:COUNT` lines sorted by hash, memory-
//   mapped and binary-searched in place (no load step: a multi-gigabyte file works offline).
// Checks are pure CPU (microseconds), run on the I/O thread. Thread-safe once built.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::auth {

// A sorted `HASH:COUNT` file (upper-case SHA-1 hex as HIBP ships it; lower case is accepted),
// mapped read-only. Pages a lookup touched are released after it, so the process's resident set
// does not grow with the file: only the kernel's page cache holds what was read.
class BreachedHashFile {
public:
    // Maps `path`; throws std::runtime_error naming the problem (missing, unreadable, empty, or a
    // first line that is not `<40 hex digits>[:count]`).
    explicit BreachedHashFile(const std::string& path);
    ~BreachedHashFile();
    BreachedHashFile(const BreachedHashFile&) = delete;
    BreachedHashFile& operator=(const BreachedHashFile&) = delete;

    bool contains_sha1(std::string_view upper_hex) const;
    // SHA-1 of the exact password bytes (HIBP hashes passwords as typed).
    bool contains_password(std::string_view password) const;
    std::size_t size_bytes() const { return size_; }

private:
    const char* data_ = nullptr;
    std::size_t size_ = 0;
    std::size_t page_ = 4096;
};

// Upper-case hex SHA-1 of `text` (40 characters).
std::string sha1_hex_upper(std::string_view text);

enum class PasswordVerdict { ok, breached, contains_email };

class PasswordBlocklist {
public:
    // Nothing refused (AUTH_PASSWORD_BLOCKLIST=off).
    static PasswordBlocklist off();
    // The built-in list and the e-mail rule (the default).
    static PasswordBlocklist builtin();
    // The built-in list, the e-mail rule and the file at `path` (throws like BreachedHashFile).
    static PasswordBlocklist with_file(const std::string& path);

    // `email` is the account's (any case); its local part counts from 4 characters.
    PasswordVerdict check(std::string_view password, std::string_view email) const;
    bool enabled() const { return enabled_; }

private:
    PasswordBlocklist(bool enabled, std::shared_ptr<const BreachedHashFile> file)
        : enabled_(enabled), file_(std::move(file)) {}

    bool enabled_ = true;
    std::shared_ptr<const BreachedHashFile> file_;
};

// The forms of `password` compared with the built-in list (exposed for tests): the lower-case
// password, then its variants with substitutions undone and edges stripped, at least 4 characters
// each, without duplicates.
std::vector<std::string> normalized_forms(std::string_view password);
// Whether `lower` (already lower-case) is an entry of the built-in list.
bool in_builtin_list(std::string_view lower);

}  // namespace portcullis::auth
