// TIMESTAMP(3) text round trips between the service and Postgres.
#include <gtest/gtest.h>

#include "db/timestamp.hpp"
#include "util/time.hpp"

namespace portcullis::db {
namespace {
using namespace std::chrono;

TEST(SqlTimestamp, FormatsUtcWithMilliseconds) {
    const SystemTime t = sys_days{year{2026} / 11 / 28} + hours{22} + minutes{50} + seconds{29} +
                         milliseconds{281} + microseconds{999};
    EXPECT_EQ(to_sql_timestamp(t), "2026-11-28 22:50:29.281");
    EXPECT_EQ(to_sql_timestamp(SystemTime{}), "1970-01-01 00:00:00.000");
}

TEST(SqlTimestamp, ParsesWhatPostgresPrints) {
    const auto t = from_sql_timestamp("2026-11-28 22:50:29.28");
    ASSERT_TRUE(t);
    EXPECT_EQ(util::format_iso8601_ms(*t), "2026-11-28T22:50:29.280Z");
    EXPECT_EQ(util::format_iso8601_ms(*from_sql_timestamp("2026-02-03 04:05:06")),
              "2026-02-03T04:05:06.000Z");
    EXPECT_EQ(util::format_iso8601_ms(*from_sql_timestamp("2024-02-29 23:59:59.999")),
              "2024-02-29T23:59:59.999Z");
}

TEST(SqlTimestamp, RoundTrips) {
    const SystemTime t = sys_days{year{2030} / 1 / 2} + milliseconds{123456789};
    EXPECT_EQ(from_sql_timestamp(to_sql_timestamp(t)), floor<milliseconds>(t));
}

TEST(SqlTimestamp, RefusesGarbage) {
    for (const char* text : {"", "2026-11-28", "2026-13-01 00:00:00", "2026-02-30 00:00:00",
                             "20x6-01-01 00:00:00", "2026-01-01 00:00:00.x"}) {
        EXPECT_FALSE(from_sql_timestamp(text)) << text;
    }
}

}  // namespace
}  // namespace portcullis::db
