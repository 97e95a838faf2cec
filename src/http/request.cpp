// See request.hpp. Out of line so that the header needs only Boost.JSON's forward declarations.
#include "http/request.hpp"

#include <boost/json/value.hpp>

namespace portcullis::http {

Request::Request() = default;
Request::~Request() = default;
Request::Request(Request&&) noexcept = default;
Request& Request::operator=(Request&&) noexcept = default;

std::string_view Request::param(std::string_view name) const {
    for (const auto& [n, v] : params) {
        if (n == name) return v;
    }
    return {};
}

}  // namespace portcullis::http
