// See result.hpp.
#include "db/result.hpp"

#include <libpq-fe.h>

#include <cstdlib>

namespace portcullis::db {

Result::Result(pg_result* result) : result_(result, &PQclear) {}

int Result::rows() const {
    return result_ ? PQntuples(result_.get()) : 0;
}
int Result::columns() const {
    return result_ ? PQnfields(result_.get()) : 0;
}

bool Result::is_null(int row, int column) const {
    return PQgetisnull(result_.get(), row, column) != 0;
}

std::string_view Result::get(int row, int column) const {
    return {PQgetvalue(result_.get(), row, column),
            static_cast<std::size_t>(PQgetlength(result_.get(), row, column))};
}

std::optional<std::string> Result::optional(int row, int column) const {
    if (is_null(row, column)) return std::nullopt;
    return std::string(get(row, column));
}

std::size_t Result::affected() const {
    if (!result_) return 0;
    return static_cast<std::size_t>(std::strtoull(PQcmdTuples(result_.get()), nullptr, 10));
}

}  // namespace portcullis::db
