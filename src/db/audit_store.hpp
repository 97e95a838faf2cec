// The AuditEvent table (issue #16): batched inserts for the audit writer, the caller's newest
// events for GET /auth/events, the operator's filtered list for `portcullis audit list`, and the
// events the CLI itself records (role changes, revoked sessions).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "auth/account_ports.hpp"
#include "auth/audit.hpp"
#include "db/database.hpp"
#include "db/timestamp.hpp"

namespace portcullis::db {

// One multi-row INSERT for the whole batch (a JSON array expanded by json_to_recordset). An event
// without a user id but with an e-mail is attributed to the account with that e-mail, if any, at
// insert time: the request path never looks an account up just to record an event.
boost::asio::awaitable<void> insert_audit_events(Pool& pool,
                                                 std::span<const auth::AuditEvent> events);

struct AuditFilter {
    std::optional<std::string> email;  // the account's events (by id) and those naming the e-mail
    std::optional<SystemTime> since;   // createdAt >= since
    std::optional<std::string> type;   // e.g. login.failed
    int limit = 100;
};

// Newest first.
boost::asio::awaitable<std::vector<auth::StoredAuditEvent>> list_audit_events(
    Pool& pool, const AuditFilter& filter);

// The port behind GET /auth/events.
class PgAuditReader final : public auth::AuditReader {
public:
    explicit PgAuditReader(const Database& database) : database_(database) {}
    auth::Task<std::vector<auth::StoredAuditEvent>> recent(std::string_view user_id,
                                                           int limit) override;

private:
    const Database& database_;
};

// The JSON array text of `events` as json_to_recordset reads it (exposed for tests).
std::string audit_events_json(std::span<const auth::AuditEvent> events);

}  // namespace portcullis::db
