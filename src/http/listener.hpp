// Whether the port the server just bound is its own. Every I/O thread listens on the port with
// SO_REUSEPORT (design section 2), which the kernel also grants to any other process of the same
// user: a second `portcullis serve` would start silently and take a share of the connections. So
// after listening, the server lists the sockets that listen on its port in its network namespace
// (/proc/net/tcp and /proc/net/tcp6) and refuses to run when one of them is not its own. Two
// processes racing through start-up both see each other and both stop: never a silent split.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace portcullis::http {

// Inodes of the sockets in LISTEN state on local port `port`, from the text of /proc/net/tcp or
// /proc/net/tcp6. Lines that do not parse are skipped.
std::vector<std::uint64_t> listening_inodes(std::string_view proc_net_tcp, std::uint16_t port);

enum class ListenerCheck {
    sole,         // every listener on the port is one of ours
    unavailable,  // /proc/net is not readable here: nothing could be checked
};

// Throws std::system_error(EADDRINUSE, "listen EADDRINUSE: address already in use :::<port>")
// when a socket other than `own_fds` listens on `port`.
ListenerCheck ensure_sole_listener(std::uint16_t port, std::span<const int> own_fds);

}  // namespace portcullis::http
