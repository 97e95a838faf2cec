// TestDatabase: a throw-away PostgreSQL database per test on the harness's local cluster.
// Created through PORTCULLIS_TEST_PG_ADMIN_URL (scripts/stack.sh), dropped WITH (FORCE) at the end.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace portcullis::test {

using Row = std::vector<std::optional<std::string>>;  // text values; nullopt is SQL NULL

class TestDatabase {
public:
    // Creates `portcullis_test_<pid>_<n>_<random>` from template0; throws MissingService without
    // PORTCULLIS_TEST_PG_ADMIN_URL and std::runtime_error when the cluster cannot be reached.
    TestDatabase();
    ~TestDatabase();
    TestDatabase(const TestDatabase&) = delete;
    TestDatabase& operator=(const TestDatabase&) = delete;

    const std::string& name() const { return name_; }
    // The admin URL with this database's name (same credentials, host and query string).
    const std::string& url() const { return url_; }
    // url() with one more query parameter, e.g. `schema=other`.
    std::string url_with_param(std::string_view param) const;
    // url() with its password replaced, e.g. to provoke an authentication failure.
    std::string url_with_password(std::string_view password) const;

    // Runs `sql` (may hold several statements); throws std::runtime_error with the server message.
    void exec(const std::string& sql) const;
    // All rows of a query, values as text.
    std::vector<Row> query(const std::string& sql) const;
    // First column of the first row; nullopt when there is no row or the value is NULL.
    std::optional<std::string> query_scalar(const std::string& sql) const;

    // `pg_dump --schema-only --no-owner --no-privileges` of this database (PORTCULLIS_TEST_PG_BIN's
    // pg_dump), without comment lines, SET / `SELECT pg_catalog` lines, \restrict and
    // \unrestrict lines, leading/trailing blank lines and blank-line runs: comparable across runs.
    std::string normalized_schema_dump() const;

private:
    std::string name_;
    std::string url_;
    std::string admin_url_;
};

}  // namespace portcullis::test
