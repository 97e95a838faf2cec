// The security events operator commands record themselves (issue #16: role changes, revoked
// sessions), written straight to the AuditEvent table: a one-shot command has no writer queue.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <string>
#include <string_view>

#include "auth/audit.hpp"
#include "db/pool.hpp"

namespace portcullis::cli {

// Records the event; a failure (e.g. a database not yet migrated to the audit table) is reported
// on stderr after `prefix` and does not undo or fail the command's own change.
boost::asio::awaitable<void> record_cli_event(db::Pool& pool, auth::AuditType type,
                                              std::string_view user_id, std::string_view email,
                                              std::string detail_json, std::string_view prefix);

}  // namespace portcullis::cli
