// A response body served many times unchanged (the OpenAPI document, the docs UI's files): its weak
// ETag is computed once and each compressed form on first demand, then shared by every I/O thread.
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
    const std::string& etag() const { return etag_; }  // weak, as conditional_get computes it
    // `bytes()` in `coding` (br, gzip or deflate); thread-safe, compressed once.
    const std::string& compressed(Coding coding) const;

private:
    std::string owned_;
    std::string_view bytes_;
    std::string etag_;
    mutable std::array<std::once_flag, 3> once_;
    mutable std::array<std::string, 3> forms_;
};

}  // namespace portcullis::http
