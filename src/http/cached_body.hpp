// A response body served many times unchanged (the OpenAPI document, the docs UI's files): its weak
// ETag and each compressed form are computed once, on first demand (so embedded files are not paged
// in before someone asks for them), then shared by every I/O thread.
#pragma once

#include <array>
#include <mutex>
#include <string>
#include <string_view>

#include "http/codec.hpp"

namespace portcullis::http {

class CachedBody {
public:
    explicit CachedBody(std::string bytes);
    // Bytes with static storage (embedded files): not copied.
    struct Static {
        std::string_view bytes;
    };
    explicit CachedBody(Static bytes);

    std::string_view bytes() const { return bytes_; }
    const std::string& etag() const;  // weak, as conditional_get computes it; thread-safe
    // `bytes()` in `coding` (br, gzip or deflate); thread-safe, compressed once.
    const std::string& compressed(Coding coding) const;

private:
    std::string owned_;
    std::string_view bytes_;
    mutable std::once_flag etag_once_;
    mutable std::string etag_;
    mutable std::array<std::once_flag, 3> once_;
    mutable std::array<std::string, 3> forms_;
};

}  // namespace portcullis::http
