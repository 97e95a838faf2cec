// See cached_body.hpp.
#include "http/cached_body.hpp"

#include <stdexcept>

#include "http/middlewares.hpp"

namespace portcullis::http {

CachedBody::CachedBody(std::string bytes) : owned_(std::move(bytes)), bytes_(owned_) {}

CachedBody::CachedBody(Static bytes) : bytes_(bytes.bytes) {}

const std::string& CachedBody::etag() const {
    std::call_once(etag_once_, [this] { etag_ = weak_etag(bytes_); });
    return etag_;
}

const std::string& CachedBody::compressed(Coding coding) const {
    std::size_t slot = 0;
    switch (coding) {
        case Coding::br:
            slot = 0;
            break;
        case Coding::gzip:
            slot = 1;
            break;
        case Coding::deflate:
            slot = 2;
            break;
        case Coding::identity:
            throw std::invalid_argument("CachedBody::compressed(identity)");
    }
    std::call_once(once_[slot], [&] { forms_[slot] = compress(coding, bytes_); });
    return forms_[slot];
}

}  // namespace portcullis::http
