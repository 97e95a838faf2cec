// See test_database.hpp.
#include "test_database.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>

#include "harness.hpp"

namespace portcullis::test {
namespace {

struct ConnDeleter {
    void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultDeleter {
    void operator()(PGresult* result) const { PQclear(result); }
};
using Conn = std::unique_ptr<PGconn, ConnDeleter>;
using Result = std::unique_ptr<PGresult, ResultDeleter>;

void ignore_notice(void* /*arg*/, const char* /*message*/) {}

Conn connect(const std::string& url) {
    Conn conn(PQconnectdb(url.c_str()));
    if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
        throw std::runtime_error("cannot connect to the test cluster: " +
                                 std::string(conn ? PQerrorMessage(conn.get()) : "out of memory"));
    }
    PQsetNoticeProcessor(conn.get(), ignore_notice, nullptr);
    return conn;
}

Result run(PGconn* conn, const std::string& sql) {
    Result result(PQexec(conn, sql.c_str()));
    const auto status = PQresultStatus(result.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        throw std::runtime_error("SQL failed: " + std::string(PQresultErrorMessage(result.get())) +
                                 "in: " + sql);
    }
    return result;
}

// Positions of a `scheme://[user[:password]@]host[:port][/dbname][?query]` URL.
struct UrlParts {
    std::size_t authority = 0;  // first character after `://`
    std::size_t path = 0;       // the `/` before the database name, or where it would go
    std::size_t query = 0;      // the `?`, or the end
};

UrlParts split_url(const std::string& url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) {
        throw std::runtime_error("the test database URLs must be postgresql:// URLs");
    }
    UrlParts parts;
    parts.authority = scheme_end + 3;
    parts.query = url.find('?', parts.authority);
    if (parts.query == std::string::npos) parts.query = url.size();
    parts.path = url.find('/', parts.authority);
    if (parts.path == std::string::npos || parts.path > parts.query) parts.path = parts.query;
    return parts;
}

std::string with_database(const std::string& url, const std::string& database) {
    const auto parts = split_url(url);
    return url.substr(0, parts.path) + "/" + database + url.substr(parts.query);
}

std::string unique_name() {
    static std::atomic<unsigned> counter{0};
    std::random_device device;
    std::ostringstream name;
    name << "portcullis_test_" << ::getpid() << '_' << counter++ << '_' << std::hex << device();
    return name.str();
}

std::string shell_quote(const std::string& text) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out.push_back(c);
        }
    }
    return out + "'";
}

bool is_noise(const std::string& line) {
    return line.starts_with("--") || line.starts_with("SET ") ||
           line.starts_with("SELECT pg_catalog.") || line.starts_with("\\restrict") ||
           line.starts_with("\\unrestrict");
}
}  // namespace

TestDatabase::TestDatabase() : name_(unique_name()), admin_url_(require_postgres_admin()) {
    url_ = with_database(admin_url_, name_);
    const Conn admin = connect(admin_url_);
    // template0: never connected to, so concurrent tests cannot block the copy; and it is pristine.
    run(admin.get(), "CREATE DATABASE \"" + name_ + "\" TEMPLATE template0");
}

TestDatabase::~TestDatabase() {
    try {
        const Conn admin = connect(admin_url_);
        run(admin.get(), "DROP DATABASE IF EXISTS \"" + name_ + "\" WITH (FORCE)");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "TestDatabase: could not drop %s: %s\n", name_.c_str(), e.what());
    }
}

std::string TestDatabase::url_with_password(std::string_view password) const {
    const auto parts = split_url(url_);
    const auto at = url_.rfind('@', parts.path);
    if (at == std::string::npos || at < parts.authority) {
        throw std::runtime_error("the test database URL has no user");
    }
    const auto colon = url_.find(':', parts.authority);
    const auto user_end = colon != std::string::npos && colon < at ? colon : at;
    return url_.substr(0, user_end) + ":" + std::string(password) + url_.substr(at);
}

std::string TestDatabase::url_with_param(std::string_view param) const {
    return url_ + (url_.find('?') == std::string::npos ? "?" : "&") + std::string(param);
}

void TestDatabase::exec(const std::string& sql) const {
    const Conn conn = connect(url_);
    run(conn.get(), sql);
}

std::vector<Row> TestDatabase::query(const std::string& sql) const {
    const Conn conn = connect(url_);
    const Result result = run(conn.get(), sql);
    std::vector<Row> rows;
    const int columns = PQnfields(result.get());
    for (int r = 0; r < PQntuples(result.get()); ++r) {
        Row row;
        for (int c = 0; c < columns; ++c) {
            if (PQgetisnull(result.get(), r, c) != 0) {
                row.emplace_back(std::nullopt);
            } else {
                row.emplace_back(
                    std::string(PQgetvalue(result.get(), r, c),
                                static_cast<std::size_t>(PQgetlength(result.get(), r, c))));
            }
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

std::optional<std::string> TestDatabase::query_scalar(const std::string& sql) const {
    const auto rows = query(sql);
    if (rows.empty() || rows.front().empty()) return std::nullopt;
    return rows.front().front();
}

std::string TestDatabase::normalized_schema_dump() const {
    const std::string pg_dump = require_postgres_bin() + "/pg_dump";
    const std::string command =
        shell_quote(pg_dump) + " --schema-only --no-owner --no-privileges " + shell_quote(url_);
    std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
    if (!pipe) throw std::runtime_error("cannot run pg_dump");
    std::string raw;
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe.get())) > 0) raw.append(buffer, n);
    if (::pclose(pipe.release()) != 0) throw std::runtime_error("pg_dump failed");

    std::string out;
    bool pending_blank = false;
    std::istringstream in(raw);
    for (std::string line; std::getline(in, line);) {
        if (is_noise(line)) continue;
        if (line.empty()) {
            pending_blank = !out.empty();
            continue;
        }
        if (pending_blank) out += '\n';
        pending_blank = false;
        out += line + '\n';
    }
    return out;
}

}  // namespace portcullis::test
