// Finding the sockets that listen on a port in /proc/net/tcp and /proc/net/tcp6 (issue #19,
// defect 1), and the check against a real second listener on the same port.
#include "http/listener.hpp"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <system_error>

namespace portcullis::http {
namespace {

TEST(Listener, ListeningInodesReadsOnlyListenersOfThePort) {
    const std::string text =
        "  sl  local_address                         remote_address                        st "
        "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
        "   0: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A "
        "00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 "
        "0\n"
        "   1: 00000000000000000000000000000000:0BB8 00000000000000000000000000000000:0000 0A "
        "00000000:00000000 00:00000000 00000000  1000        0 4343 1 0000000000000000 100 0 0 10 "
        "0\n"
        "   2: 0000000000000000FFFF00000100007F:0BB8 0000000000000000FFFF00000100007F:D6D8 01 "
        "00000000:00000000 00:00000000 00000000     0        0 5555 1 0000000000000000 20 4 30 10 "
        "-1\n"
        "   3: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 6666 1\n"
        "garbage line\n"
        "   4: 0100007F:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 x 1\n";
    EXPECT_EQ(listening_inodes(text, 3000), (std::vector<std::uint64_t>{4242, 4343}));
    EXPECT_EQ(listening_inodes(text, 8080), (std::vector<std::uint64_t>{6666}));
    EXPECT_TRUE(listening_inodes(text, 1).empty());
    EXPECT_TRUE(listening_inodes("", 3000).empty());
}

int reuseport_listener(std::uint16_t port) {
    const int fd = ::socket(AF_INET6, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_port = htons(port);
    addr.sin6_addr = in6addr_any;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 8) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

TEST(Listener, AForeignReuseportListenerOnThePortIsEaddrinuse) {
    const int ours = reuseport_listener(0);
    ASSERT_GE(ours, 0);
    sockaddr_in6 addr{};
    socklen_t len = sizeof addr;
    ::getsockname(ours, reinterpret_cast<sockaddr*>(&addr), &len);
    const std::uint16_t port = ntohs(addr.sin6_port);
    const int fds[] = {ours};
    EXPECT_EQ(ensure_sole_listener(port, fds), ListenerCheck::sole);
    // Another socket joins the port as a second process would (same user, SO_REUSEPORT).
    const int theirs = reuseport_listener(port);
    ASSERT_GE(theirs, 0);
    try {
        ensure_sole_listener(port, fds);
        ADD_FAILURE() << "a foreign listener went unnoticed";
    } catch (const std::system_error& e) {
        EXPECT_EQ(e.code().value(), EADDRINUSE);
        EXPECT_NE(std::string(e.what()).find("listen EADDRINUSE"), std::string::npos);
    }
    const int both[] = {ours, theirs};
    EXPECT_EQ(ensure_sole_listener(port, both), ListenerCheck::sole);
    ::close(theirs);
    ::close(ours);
}

}  // namespace
}  // namespace portcullis::http
