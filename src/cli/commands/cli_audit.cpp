// See cli_audit.hpp.
#include "cli/commands/cli_audit.hpp"

#include <chrono>
#include <cstdio>
#include <exception>
#include <span>

#include "db/audit_store.hpp"

namespace portcullis::cli {

boost::asio::awaitable<void> record_cli_event(db::Pool& pool, auth::AuditType type,
                                              std::string_view user_id, std::string_view email,
                                              std::string detail_json, std::string_view prefix) {
    auth::AuditEvent event;
    event.type = type;
    event.user_id = user_id;
    event.email = email;
    event.detail_json = std::move(detail_json);
    event.at = std::chrono::system_clock::now();
    std::string error;
    try {
        co_await db::insert_audit_events(pool, std::span<const auth::AuditEvent>(&event, 1));
    } catch (const std::exception& e) {
        error = e.what();
    }
    if (!error.empty()) {
        std::fprintf(stderr, "%.*s warning: the audit event was not recorded: %s\n",
                     static_cast<int>(prefix.size()), prefix.data(), error.c_str());
    }
}

}  // namespace portcullis::cli
