// Query results and errors of the database layer, independent of libpq's headers.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "util/unavailable.hpp"

struct pg_result;

namespace portcullis::db {

// Postgres is unreachable, the pool is exhausted or a deadline passed: 503 DATABASE_UNAVAILABLE.
class DatabaseUnavailable : public util::Unavailable {
public:
    // `deadline_passed`: Postgres was reached but did not answer in time (frozen or overloaded),
    // as opposed to refusing or dropping the connection.
    explicit DatabaseUnavailable(const std::string& detail, bool deadline_passed = false)
        : util::Unavailable("DATABASE_UNAVAILABLE", "Database unavailable", detail),
          deadline_passed_(deadline_passed) {}
    bool deadline_passed() const { return deadline_passed_; }

private:
    bool deadline_passed_;
};

// The server answered with an error (constraint violation, syntax, ...).
class QueryError : public std::runtime_error {
public:
    QueryError(std::string sqlstate, const std::string& message)
        : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
    const std::string& sqlstate() const { return sqlstate_; }
    bool unique_violation() const { return sqlstate_ == "23505"; }

private:
    std::string sqlstate_;
};

class Result {
public:
    Result() = default;
    explicit Result(pg_result* result);

    int rows() const;
    int columns() const;
    bool is_null(int row, int column) const;
    // Text value; valid while this Result lives.
    std::string_view get(int row, int column) const;
    std::optional<std::string> optional(int row, int column) const;
    // Rows touched by INSERT/UPDATE/DELETE.
    std::size_t affected() const;

private:
    std::shared_ptr<pg_result> result_;
};

}  // namespace portcullis::db
