// See listener.hpp.
#include "http/listener.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>

namespace portcullis::http {
namespace {
constexpr std::string_view kListenState = "0A";  // TCP_LISTEN in /proc/net/tcp's `st` column

// The next whitespace-separated field of `line`, consumed.
std::string_view next_field(std::string_view& line) {
    const auto start = line.find_first_not_of(' ');
    if (start == std::string_view::npos) {
        line = {};
        return {};
    }
    line.remove_prefix(start);
    const auto end = line.find(' ');
    const auto field = line.substr(0, end);
    line.remove_prefix(end == std::string_view::npos ? line.size() : end);
    return field;
}

template <typename T>
bool parse_number(std::string_view text, T& out, int base) {
    if (text.empty()) return false;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), out, base);
    return r.ec == std::errc() && r.ptr == text.data() + text.size();
}

bool read_file(const char* path, std::string& out) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    out.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    return true;
}
}  // namespace

std::vector<std::uint64_t> listening_inodes(std::string_view text, std::uint16_t port) {
    std::vector<std::uint64_t> inodes;
    while (!text.empty()) {
        const auto newline = text.find('\n');
        std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);

        // `sl local_address remote_address st tx:rx tr:when retrnsmt uid timeout inode ...`
        std::string_view fields[10];
        bool complete = true;
        for (auto& field : fields) {
            field = next_field(line);
            complete = complete && !field.empty();
        }
        if (!complete || fields[3] != kListenState) continue;
        const auto colon = fields[1].rfind(':');
        std::uint16_t local_port = 0;
        std::uint64_t inode = 0;
        if (colon == std::string_view::npos ||
            !parse_number(fields[1].substr(colon + 1), local_port, 16) ||
            !parse_number(fields[9], inode, 10)) {
            continue;
        }
        if (local_port == port) inodes.push_back(inode);
    }
    return inodes;
}

ListenerCheck ensure_sole_listener(std::uint16_t port, std::span<const int> own_fds) {
    std::vector<std::uint64_t> own;
    for (const int fd : own_fds) {
        struct stat info {};
        if (::fstat(fd, &info) == 0) own.push_back(static_cast<std::uint64_t>(info.st_ino));
    }
    bool readable = false;
    for (const char* path : {"/proc/net/tcp6", "/proc/net/tcp"}) {
        std::string text;
        if (!read_file(path, text)) continue;
        readable = true;
        for (const auto inode : listening_inodes(text, port)) {
            if (std::find(own.begin(), own.end(), inode) == own.end()) {
                throw std::system_error(
                    EADDRINUSE, std::generic_category(),
                    "listen EADDRINUSE: address already in use :::" + std::to_string(port) +
                        " (another process listens on this port)");
            }
        }
    }
    return readable ? ListenerCheck::sole : ListenerCheck::unavailable;
}

}  // namespace portcullis::http
