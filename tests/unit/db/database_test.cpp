// Database finds the calling I/O thread's pool per instance (issue #18 item 7): two instances
// attached to one thread never see each other's pools, and an instance that was closed (or never
// attached here) throws instead of handing out a dangling pointer. No server is contacted: pools
// dial on first use.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>

#include <stdexcept>
#include <thread>

#include "db/database.hpp"

namespace portcullis {
namespace {

db::ConnectionSettings settings_for(const std::string& host) {
    db::ConnectionSettings settings;
    settings.params = {{"host", host}, {"dbname", "portcullis"}};
    settings.masked = "postgresql://" + host + "/portcullis";
    return settings;
}

TEST(Database, TwoInstancesOnOneThreadEachKeepTheirOwnPool) {
    boost::asio::io_context io;
    db::Database first(settings_for("first.invalid"), {.size = 3});
    db::Database second(settings_for("second.invalid"), {.size = 7});
    first.attach_this_thread(io);
    second.attach_this_thread(io);
    EXPECT_EQ(first.local().options().size, 3);
    EXPECT_EQ(second.local().options().size, 7);
    EXPECT_NE(&first.local(), &second.local());
}

TEST(Database, EachThreadSeesItsOwnPool) {
    boost::asio::io_context main_io;
    boost::asio::io_context other_io;
    db::Database database(settings_for("db.invalid"), {});
    database.attach_this_thread(main_io);
    db::Pool* other_pool = nullptr;
    std::thread([&] {
        database.attach_this_thread(other_io);
        other_pool = &database.local();
    }).join();
    EXPECT_NE(other_pool, nullptr);
    EXPECT_NE(&database.local(), other_pool);
}

TEST(Database, LocalThrowsOnAThreadNeverAttached) {
    boost::asio::io_context io;
    db::Database attached(settings_for("db.invalid"), {});
    attached.attach_this_thread(io);
    db::Database other(settings_for("other.invalid"), {});
    EXPECT_THROW(other.local(), std::logic_error);
    std::thread([&] { EXPECT_THROW(attached.local(), std::logic_error); }).join();
}

TEST(Database, LocalThrowsAfterClose) {
    boost::asio::io_context io;
    db::Database database(settings_for("db.invalid"), {});
    database.attach_this_thread(io);
    database.close();
    EXPECT_THROW(database.local(), std::logic_error);
}

TEST(Database, ClosingOneInstanceLeavesTheOtherAlone) {
    boost::asio::io_context io;
    db::Database first(settings_for("first.invalid"), {.size = 3});
    db::Database second(settings_for("second.invalid"), {.size = 7});
    first.attach_this_thread(io);
    second.attach_this_thread(io);
    second.close();
    EXPECT_EQ(first.local().options().size, 3);
    EXPECT_THROW(second.local(), std::logic_error);
}

TEST(Database, ANewInstanceNeverInheritsADestroyedOnesPool) {
    boost::asio::io_context io;
    {
        db::Database gone(settings_for("gone.invalid"), {});
        gone.attach_this_thread(io);
    }
    db::Database fresh(settings_for("fresh.invalid"), {});
    EXPECT_THROW(fresh.local(), std::logic_error);
}

}  // namespace
}  // namespace portcullis
