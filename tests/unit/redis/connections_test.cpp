// redis::Connections finds the calling I/O thread's client per instance (issue #18 item 7): two
// instances attached to one thread never see each other's clients, and an instance that was closed
// (or never attached here) throws instead of handing out a dangling pointer. No server is
// contacted: clients dial only once their io_context runs.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <stdexcept>
#include <thread>

#include "redis/connections.hpp"

namespace portcullis {
namespace {

redis::Settings redis_settings(std::uint16_t port) {
    redis::Settings settings;
    settings.port = port;
    settings.masked = "redis://127.0.0.1:" + std::to_string(port);
    return settings;
}

TEST(RedisConnections, TwoInstancesOnOneThreadEachKeepTheirOwnClient) {
    boost::asio::io_context io;
    redis::Connections first(redis_settings(1), {}, 1);
    redis::Connections second(redis_settings(2), {}, 1);
    first.attach_this_thread(io);
    second.attach_this_thread(io);
    EXPECT_NE(&first.local(), &second.local());
    second.close();
    EXPECT_NO_THROW(first.local());
    EXPECT_THROW(second.local(), std::logic_error);
}

TEST(RedisConnections, LocalThrowsAfterCloseAndOnOtherThreads) {
    boost::asio::io_context io;
    redis::Connections connections(redis_settings(1), {}, 1);
    EXPECT_THROW(connections.local(), std::logic_error);
    connections.attach_this_thread(io);
    std::thread([&] { EXPECT_THROW(connections.local(), std::logic_error); }).join();
    connections.close();
    EXPECT_THROW(connections.local(), std::logic_error);
}

}  // namespace
}  // namespace portcullis
