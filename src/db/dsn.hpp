// DATABASE_URL → libpq connection parameters (URL or key=value form), with the Prisma-style
// `schema` parameter turned into a search_path and secrets masked for messages.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis::db {

struct ConnectionSettings {
    // libpq keywords and values for PQconnectStartParams/PQconnectdbParams, in order.
    std::vector<std::pair<std::string, std::string>> params;
    std::string schema;  // from `?schema=` (or `search_path` option); empty: server default
    std::string masked;  // the DSN with its password replaced by `***`, for logs and errors
};

// Parses `postgresql://` / `postgres://` URLs (percent-decoded user, password, host, port,
// database, query parameters; several hosts as `h1:p1,h2:p2`, libpq's multi-host form, for
// failover with `target_session_attrs=read-write`) and `key=value` strings. Query parameters that
// only Prisma understands are dropped (`schema` becomes `options=-c search_path=...`). Returns
// nullopt with `error` set (never containing the password) when the text cannot be used.
std::optional<ConnectionSettings> parse_database_url(std::string_view url, std::string& error);

// The DSN with any password masked, whatever its form.
std::string mask_database_url(std::string_view url);

}  // namespace portcullis::db
