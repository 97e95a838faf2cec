// Content codings for response compression and request inflation (contract 3.4, 3.9):
// br (libbrotli), gzip and deflate (zlib).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::http {

enum class Coding { identity, br, gzip, deflate };

std::string_view coding_name(Coding coding);  // "br", "gzip", "deflate", "identity"

// Parses a Content-Encoding value (case-insensitive, trimmed); nullopt for unsupported codings.
std::optional<Coding> parse_coding(std::string_view value);

// Chooses the response coding for an Accept-Encoding header as the `negotiator` package does:
// highest q wins, ties broken by br > gzip > deflate; `*` stands for any; identity or nothing
// acceptable yields Coding::identity. An absent header yields identity.
Coding negotiate_coding(std::string_view accept_encoding);

std::string compress(Coding coding, std::string_view data);

struct InflateResult {
    enum class Status { ok, too_large, corrupt } status = Status::ok;
    std::string data;
};
// Inflates `data`, stopping as soon as the output would exceed `limit` bytes.
InflateResult decompress(Coding coding, std::string_view data, std::size_t limit);

}  // namespace portcullis::http
