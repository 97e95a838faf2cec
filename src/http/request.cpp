// See request.hpp. Out of line so that the header needs only Boost.JSON's forward declarations.
#include "http/request.hpp"

#include <sys/socket.h>

#include <cerrno>

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

bool client_disconnected(const Request& request) {
    return socket_disconnected(request.socket_fd);
}

bool socket_disconnected(int fd) {
    if (fd < 0) return false;
    char byte = 0;
    const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return true;
    return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

}  // namespace portcullis::http
