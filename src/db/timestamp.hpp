// TIMESTAMP(3) values as the schema stores them: UTC, no time zone, millisecond precision
// (contract 7: the application writes every timestamp explicitly).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::db {

using SystemTime = std::chrono::system_clock::time_point;

// `2026-11-28 22:50:29.281` (truncated to milliseconds).
std::string to_sql_timestamp(SystemTime time);

// Parses Postgres' text output of a `timestamp` (`2026-11-28 22:50:29.28`, fraction optional).
std::optional<SystemTime> from_sql_timestamp(std::string_view text);

}  // namespace portcullis::db
