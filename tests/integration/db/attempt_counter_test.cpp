// Login lockout bookkeeping (contract 5.7, decisions A.2, B.7) as one test suite run against both
// stores: the LoginAttempt table and Redis. Times are injected, so windows and locks are exact.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <memory>

#include "db/auth_store.hpp"
#include "db/database.hpp"
#include "db/migrate.hpp"
#include "private_redis.hpp"
#include "redis/client.hpp"
#include "redis/login_attempts.hpp"
#include "test_database.hpp"

namespace portcullis::db {
namespace {
using namespace std::chrono_literals;
namespace asio = boost::asio;

template <typename T>
T run(asio::io_context& io, asio::awaitable<T> task) {
    auto future = asio::co_spawn(io, std::move(task), asio::use_future);
    io.restart();
    while (future.wait_for(0s) != std::future_status::ready) {
        if (io.run_one() == 0) break;
    }
    return future.get();
}

const auth::LockoutPolicy kPolicy{3, 15min, 10min};

class AttemptCounters : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        test_db_ = std::make_unique<test::TestDatabase>();
        std::string error;
        const auto settings = parse_database_url(test_db_->url(), error);
        ASSERT_TRUE(settings) << error;
        const auto migrated = migrate_deploy(*settings);
        ASSERT_TRUE(migrated.ok) << migrated.error;
        database_ = std::make_unique<Database>(*settings, PoolOptions{});
        database_->attach_this_thread(io_);
        table_ = std::make_unique<PgAttemptCounter>(*database_, kPolicy);
        if (GetParam() == "redis") {
            redis_server_ = std::make_unique<test::PrivateRedis>();
            const auto redis_settings = redis::parse_redis_url(redis_server_->url(), error);
            ASSERT_TRUE(redis_settings) << error;
            client_ = std::make_shared<redis::Client>(io_, *redis_settings, redis::ClientOptions{});
            client_->start();
            ASSERT_TRUE(run(io_, client_->wait_connected(5s)));
            redis_ = std::make_unique<redis::RedisAttemptCounter>(*client_, kPolicy);
        }
    }
    void TearDown() override {
        if (client_) client_->stop();
        if (database_) database_->close();
    }

    auth::AttemptCounter& counter() {
        return redis_ ? static_cast<auth::AttemptCounter&>(*redis_) : *table_;
    }
    bool locked(const std::string& email, const std::string& ip, auth::TimePoint now) {
        return run(io_, counter().is_locked(email, ip, now));
    }
    bool fail(const std::string& email, const std::string& ip, auth::TimePoint now,
              std::optional<std::string_view> user = std::nullopt) {
        return run(io_, counter().record_failure(email, ip, user, now));
    }
    // Rows or keys that exist for the email.
    std::size_t records(const std::string& email) {
        if (redis_server_)
            return redis_server_->cli("--scan --pattern 'login_attempt:{" + email + "}:*'").size();
        return test_db_
            ->query("SELECT 1 FROM \"LoginAttempt\" WHERE \"emailLowercase\" = '" + email + "'")
            .size();
    }

    asio::io_context io_;
    std::unique_ptr<test::TestDatabase> test_db_;
    std::unique_ptr<Database> database_;
    std::unique_ptr<PgAttemptCounter> table_;
    std::unique_ptr<test::PrivateRedis> redis_server_;
    std::shared_ptr<redis::Client> client_;
    std::unique_ptr<redis::RedisAttemptCounter> redis_;
    const auth::TimePoint t0_ =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
};

TEST_P(AttemptCounters, TheMaxthFailureLocksUntilTheLockoutEnds) {
    EXPECT_FALSE(locked("a@x.io", "1.1.1.1", t0_));
    EXPECT_FALSE(fail("a@x.io", "1.1.1.1", t0_));
    EXPECT_FALSE(fail("a@x.io", "1.1.1.1", t0_ + 1s));
    EXPECT_TRUE(fail("a@x.io", "1.1.1.1", t0_ + 2s));  // the 3rd sets the lock
    EXPECT_TRUE(locked("a@x.io", "1.1.1.1", t0_ + 3s));
    EXPECT_TRUE(locked("a@x.io", "1.1.1.1", t0_ + 2s + 15min - 1ms));
    // The lock has ended: the record is forgotten and counting starts from a clean slate.
    EXPECT_FALSE(locked("a@x.io", "1.1.1.1", t0_ + 2s + 15min));
    EXPECT_EQ(records("a@x.io"), 0u);
    EXPECT_FALSE(fail("a@x.io", "1.1.1.1", t0_ + 16min));
    EXPECT_FALSE(fail("a@x.io", "1.1.1.1", t0_ + 16min));
    EXPECT_TRUE(fail("a@x.io", "1.1.1.1", t0_ + 16min));
}

TEST_P(AttemptCounters, TheWindowIsMeasuredFromTheLastFailure) {
    EXPECT_FALSE(fail("b@x.io", "1.1.1.1", t0_));
    EXPECT_FALSE(fail("b@x.io", "1.1.1.1", t0_ + 9min));
    EXPECT_TRUE(fail("b@x.io", "1.1.1.1", t0_ + 18min));  // 9 min after the previous one
    EXPECT_FALSE(fail("c@x.io", "1.1.1.1", t0_));
    EXPECT_FALSE(fail("c@x.io", "1.1.1.1", t0_ + 1min));
    EXPECT_FALSE(fail("c@x.io", "1.1.1.1", t0_ + 11min + 1s));  // outside: counts as the 1st
    EXPECT_FALSE(locked("c@x.io", "1.1.1.1", t0_ + 11min + 2s));
    EXPECT_FALSE(fail("c@x.io", "1.1.1.1", t0_ + 11min + 2s));
    EXPECT_TRUE(fail("c@x.io", "1.1.1.1", t0_ + 11min + 3s));
}

TEST_P(AttemptCounters, StaleAttemptsAreForgottenByTheLockCheck) {
    EXPECT_FALSE(fail("d@x.io", "1.1.1.1", t0_));
    EXPECT_EQ(records("d@x.io"), 1u);
    EXPECT_FALSE(locked("d@x.io", "1.1.1.1", t0_ + 10min + 1ms));
    EXPECT_EQ(records("d@x.io"), 0u);
}

TEST_P(AttemptCounters, EachEmailAndAddressPairCountsAlone) {
    for (int i = 0; i < 3; ++i) fail("e@x.io", "1.1.1.1", t0_);
    EXPECT_TRUE(locked("e@x.io", "1.1.1.1", t0_));
    EXPECT_FALSE(locked("e@x.io", "2.2.2.2", t0_));
    EXPECT_FALSE(locked("f@x.io", "1.1.1.1", t0_));
}

TEST_P(AttemptCounters, ClearUnlocksOneAddressOrAll) {
    for (const char* ip : {"1.1.1.1", "::ffff:2.2.2.2"}) {
        for (int i = 0; i < 3; ++i) fail("g@x.io", ip, t0_);
    }
    run(io_, counter().clear("g@x.io", "1.1.1.1"));
    EXPECT_FALSE(locked("g@x.io", "1.1.1.1", t0_));
    EXPECT_TRUE(locked("g@x.io", "::ffff:2.2.2.2", t0_));
    run(io_, counter().clear_email("g@x.io"));
    EXPECT_FALSE(locked("g@x.io", "::ffff:2.2.2.2", t0_));
    EXPECT_EQ(records("g@x.io"), 0u);
}

TEST_P(AttemptCounters, ConcurrentFailuresNeverFail) {
    // Decisions B.7: racing first failures of a new pair are one atomic upsert each, never an
    // error. They apply one after another: a failure on a locked record starts over (contract
    // 5.7), so 9 failures lock three times and end locked.
    std::vector<std::future<bool>> results;
    for (int i = 0; i < 9; ++i) {
        results.push_back(
            asio::co_spawn(io_, counter().record_failure("h@x.io", "9.9.9.9", std::nullopt, t0_),
                           asio::use_future));
    }
    io_.restart();
    for (auto& r : results) {
        while (r.wait_for(0s) != std::future_status::ready) io_.run_one();
    }
    int locks = 0;
    for (auto& r : results) locks += r.get() ? 1 : 0;
    EXPECT_EQ(locks, 3);
    EXPECT_TRUE(locked("h@x.io", "9.9.9.9", t0_));
}

class RedisAttemptCounters : public AttemptCounters {};

TEST_P(RedisAttemptCounters, EveryKeyExpiresByItself) {
    fail("i@x.io", "1.1.1.1", t0_);
    for (int i = 0; i < 3; ++i) fail("i@x.io", "2.2.2.2", t0_);
    const auto ttls = redis_server_->ttls();
    EXPECT_EQ(ttls.size(), 3u);  // two records and the email's index
    for (const auto& [key, ttl] : ttls) EXPECT_GT(ttl, 0) << key;
}

INSTANTIATE_TEST_SUITE_P(Store, RedisAttemptCounters, ::testing::Values("redis"),
                         [](const auto& i) { return i.param; });
INSTANTIATE_TEST_SUITE_P(Stores, AttemptCounters, ::testing::Values("postgres", "redis"),
                         [](const auto& i) { return i.param; });

}  // namespace
}  // namespace portcullis::db
