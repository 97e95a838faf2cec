// Host names of the DSN are resolved off the I/O thread and handed to libpq as `hostaddr`
// (issue #18 item 5): which names need a lookup, how the host/hostaddr/port lists are rewritten
// (multi-host DSNs, several addresses per name, Unix sockets), and that a resolver which never
// answers ends in DatabaseUnavailable at the deadline while the io_context keeps running.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <future>
#include <mutex>
#include <thread>

#include "db/connection.hpp"
#include "db/host_resolver.hpp"

namespace portcullis::db {
namespace {
using namespace std::chrono_literals;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

std::string value_of(const Params& params, const std::string& key) {
    std::string found = "<absent>";
    for (const auto& [k, v] : params) {
        if (k == key) found = v;
    }
    return found;
}

template <typename T>
T run(asio::io_context& io, asio::awaitable<T> task) {
    auto future = asio::co_spawn(io, std::move(task), asio::use_future);
    io.restart();
    while (future.wait_for(0s) != std::future_status::ready) {
        if (io.run_one() == 0) break;
    }
    return future.get();
}

// Counts the ticks of a 10 ms timer on `io` while something else waits there.
class Ticker {
public:
    explicit Ticker(asio::io_context& io) : timer_(io) { schedule(); }
    int ticks() const { return ticks_; }
    void stop() {
        stopped_ = true;
        timer_.cancel();
    }

private:
    void schedule() {
        timer_.expires_after(10ms);
        timer_.async_wait([this](boost::system::error_code ec) {
            if (ec || stopped_) return;
            ++ticks_;
            schedule();
        });
    }
    asio::steady_timer timer_;
    int ticks_ = 0;
    bool stopped_ = false;
};

// A resolver that never answers; it keeps the callbacks so a test can answer after all.
struct SilentLookup {
    std::shared_ptr<std::vector<std::function<void(LookupResult)>>> pending =
        std::make_shared<std::vector<std::function<void(LookupResult)>>>();
    std::shared_ptr<std::vector<std::string>> asked = std::make_shared<std::vector<std::string>>();
    HostLookup lookup() const {
        return [pending = pending, asked = asked](const std::string& host,
                                                  std::function<void(LookupResult)> done) {
            asked->push_back(host);
            pending->push_back(std::move(done));
        };
    }
};

TEST(HostsToResolve, OnlyNamesNeedALookup) {
    EXPECT_EQ(hosts_to_resolve({{"host", "db.example.com"}, {"port", "5432"}}),
              std::vector<std::string>{"db.example.com"});
    EXPECT_TRUE(hosts_to_resolve({{"host", "127.0.0.1"}}).empty());
    EXPECT_TRUE(hosts_to_resolve({{"host", "::1"}}).empty());
    EXPECT_TRUE(hosts_to_resolve({{"host", "/var/run/postgresql"}}).empty());
    EXPECT_TRUE(hosts_to_resolve({{"host", "@abstract"}}).empty());
    EXPECT_TRUE(hosts_to_resolve({{"dbname", "x"}}).empty()) << "no host: libpq's default socket";
    EXPECT_EQ(hosts_to_resolve({{"host", "a.example,10.0.0.2,/tmp,,a.example,b.example"}}),
              (std::vector<std::string>{"a.example", "b.example"}));
}

TEST(HostsToResolve, NothingWhenHostaddrIsGivenOrPortsDoNotMatch) {
    EXPECT_TRUE(hosts_to_resolve({{"host", "db.example.com"}, {"hostaddr", "10.0.0.1"}}).empty());
    // libpq refuses 3 ports for 2 hosts before resolving anything; so do we.
    EXPECT_TRUE(hosts_to_resolve({{"host", "a.example,b.example"}, {"port", "1,2,3"}}).empty());
}

TEST(WithHostAddresses, ANameGetsItsAddressBesideIt) {
    std::string error;
    const auto out = with_host_addresses({{"host", "db.example.com"}, {"port", "6432"}},
                                         {{"db.example.com", {{"10.1.2.3"}, ""}}}, error);
    ASSERT_TRUE(out) << error;
    EXPECT_EQ(value_of(*out, "host"), "db.example.com") << "kept for TLS and .pgpass";
    EXPECT_EQ(value_of(*out, "hostaddr"), "10.1.2.3");
    EXPECT_EQ(value_of(*out, "port"), "6432");
}

TEST(WithHostAddresses, EveryAddressOfANameIsTriedInTurn) {
    std::string error;
    const auto out = with_host_addresses({{"host", "localhost"}, {"dbname", "x"}},
                                         {{"localhost", {{"::1", "127.0.0.1"}, ""}}}, error);
    ASSERT_TRUE(out) << error;
    EXPECT_EQ(value_of(*out, "host"), "localhost,localhost");
    EXPECT_EQ(value_of(*out, "hostaddr"), "::1,127.0.0.1");
    EXPECT_EQ(value_of(*out, "port"), "<absent>");
    EXPECT_EQ(value_of(*out, "dbname"), "x");
}

TEST(WithHostAddresses, MultiHostListsKeepTheirPortsAndSockets) {
    std::string error;
    const auto out = with_host_addresses({{"host", "primary.example,/tmp,10.0.0.9,standby.example"},
                                          {"port", "5432,5433,5434,5435"}},
                                         {{"primary.example", {{"10.0.0.1", "10.0.0.2"}, ""}},
                                          {"standby.example", {{"fd00::5"}, ""}}},
                                         error);
    ASSERT_TRUE(out) << error;
    EXPECT_EQ(value_of(*out, "host"),
              "primary.example,primary.example,/tmp,10.0.0.9,standby.example");
    EXPECT_EQ(value_of(*out, "hostaddr"), "10.0.0.1,10.0.0.2,,,fd00::5");
    EXPECT_EQ(value_of(*out, "port"), "5432,5432,5433,5434,5435");

    // One port for every host stays one port.
    const auto single = with_host_addresses(
        {{"host", "a.example,b.example"}, {"port", "5432"}},
        {{"a.example", {{"10.0.0.1"}, ""}}, {"b.example", {{"10.0.0.2"}, ""}}}, error);
    ASSERT_TRUE(single);
    EXPECT_EQ(value_of(*single, "port"), "5432");
    EXPECT_EQ(value_of(*single, "hostaddr"), "10.0.0.1,10.0.0.2");
}

TEST(WithHostAddresses, AnUnresolvableHostIsSkippedUnlessItIsTheLastOne) {
    std::string error;
    const auto out = with_host_addresses(
        {{"host", "gone.example,b.example"}, {"port", "1,2"}},
        {{"gone.example", {{}, "Name or service not known"}}, {"b.example", {{"10.0.0.2"}, ""}}},
        error);
    ASSERT_TRUE(out) << error;
    EXPECT_EQ(value_of(*out, "host"), "b.example");
    EXPECT_EQ(value_of(*out, "hostaddr"), "10.0.0.2");
    EXPECT_EQ(value_of(*out, "port"), "2");

    const auto none = with_host_addresses(
        {{"host", "gone.example"}}, {{"gone.example", {{}, "Name or service not known"}}}, error);
    EXPECT_FALSE(none);
    EXPECT_EQ(error,
              "could not translate host name \"gone.example\" to address: Name or service not "
              "known");
}

TEST(ResolveHosts, NumericHostsAndSocketsAskNoResolver) {
    asio::io_context io;
    SilentLookup silent;
    const Params params{{"host", "127.0.0.1,/tmp"}, {"dbname", "x"}};
    EXPECT_EQ(run(io, resolve_hosts(io, params, silent.lookup(), Clock::now() + 1s)), params);
    EXPECT_TRUE(silent.asked->empty());
}

TEST(ResolveHosts, AnswersFromAnotherThreadAreUsed) {
    asio::io_context io;
    std::vector<std::thread> threads;
    HostLookup lookup = [&threads](const std::string& host,
                                   std::function<void(LookupResult)> done) {
        threads.emplace_back([host, done = std::move(done)] {
            std::this_thread::sleep_for(30ms);
            done(LookupResult{{host == "a.example" ? "10.0.0.1" : "10.0.0.2"}, ""});
        });
    };
    const auto out =
        run(io, resolve_hosts(io, {{"host", "a.example,b.example"}}, lookup, Clock::now() + 5s));
    for (auto& t : threads) t.join();
    EXPECT_EQ(value_of(out, "hostaddr"), "10.0.0.1,10.0.0.2");
}

TEST(ResolveHosts, ASynchronousAnswerNeedsNoWait) {
    asio::io_context io;
    HostLookup lookup = [](const std::string&, std::function<void(LookupResult)> done) {
        done(LookupResult{{"192.0.2.7"}, ""});
    };
    const auto started = Clock::now();
    const auto out =
        run(io, resolve_hosts(io, {{"host", "db.example"}}, lookup, Clock::now() + 5s));
    EXPECT_EQ(value_of(out, "hostaddr"), "192.0.2.7");
    EXPECT_LT(Clock::now() - started, 1s);
}

TEST(ResolveHosts, AResolverThatNeverAnswersEndsAtTheDeadlineWithoutBlockingTheThread) {
    SilentLookup silent;
    {
        asio::io_context io;
        Ticker ticker(io);
        const auto started = Clock::now();
        EXPECT_THROW(run(io, resolve_hosts(io, {{"host", "hangs.example"}}, silent.lookup(),
                                           Clock::now() + 300ms)),
                     DatabaseUnavailable);
        const auto waited = Clock::now() - started;
        EXPECT_GE(waited, 290ms);
        EXPECT_LT(waited, 2s);
        EXPECT_GE(ticker.ticks(), 10) << "other handlers ran while the lookup hung";
        ticker.stop();
    }
    // The answer arrives after the waiter gave up and its io_context is gone: nothing happens.
    ASSERT_EQ(silent.pending->size(), 1u);
    (*silent.pending)[0](LookupResult{{"10.0.0.1"}, ""});
}

TEST(ResolveHosts, TheResolversErrorIsTheFailure) {
    asio::io_context io;
    HostLookup lookup = [](const std::string&, std::function<void(LookupResult)> done) {
        done(LookupResult{{}, "Name or service not known"});
    };
    try {
        run(io, resolve_hosts(io, {{"host", "no-such-host.invalid"}}, lookup, Clock::now() + 1s));
        FAIL() << "expected DatabaseUnavailable";
    } catch (const DatabaseUnavailable& e) {
        EXPECT_NE(std::string(e.what()).find("no-such-host.invalid"), std::string::npos)
            << e.what();
    }
}

TEST(ResolveHosts, TheSystemResolverAnswersOffTheThread) {
    asio::io_context io;
    const auto out = run(
        io, resolve_hosts(io, {{"host", "localhost"}, {"port", "5432"}}, {}, Clock::now() + 5s));
    EXPECT_EQ(value_of(out, "host").substr(0, 9), "localhost");
    const std::string addresses = value_of(out, "hostaddr");
    EXPECT_TRUE(addresses.find("127.0.0.1") != std::string::npos ||
                addresses.find("::1") != std::string::npos)
        << addresses;
}

TEST(ConnectionOpen, AHungResolverFailsTheDialAtItsDeadline) {
    asio::io_context io;
    Ticker ticker(io);
    SilentLookup silent;
    ConnectionSettings settings;
    settings.params = {{"host", "db.hangs.example"}, {"dbname", "portcullis"}};
    const auto started = Clock::now();
    EXPECT_THROW(run(io, Connection::open(io, settings, Clock::now() + 300ms, silent.lookup())),
                 DatabaseUnavailable);
    EXPECT_LT(Clock::now() - started, 2s);
    EXPECT_GE(ticker.ticks(), 10);
    ticker.stop();
    EXPECT_EQ(*silent.asked, std::vector<std::string>{"db.hangs.example"});
}

}  // namespace
}  // namespace portcullis::db
