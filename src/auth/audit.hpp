// Security events (issue #16): what happened to an account, from where and when, recorded for the
// account's owner (GET /auth/events) and for operators (`portcullis audit list`). The services
// report events through the AuditLog port, which must never block or fail a request: the writer
// queues them and stores them in batches off the request path (app/audit_writer).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/model.hpp"

namespace portcullis::auth {

enum class AuditType {
    registered,                 // user.registered
    login_succeeded,            // login.succeeded (a session was opened)
    login_failed,               // login.failed (wrong password, unknown or unverified account)
    login_locked,               // login.locked (refused while locked out)
    mfa_challenged,             // login.mfa_required (password right, second factor awaited)
    mfa_failed,                 // mfa.failed (a wrong or replayed code)
    mfa_locked,                 // mfa.locked (refused while the MFA counter locks the account)
    mfa_enrolled,               // mfa.enrolled
    mfa_disabled,               // mfa.disabled
    mfa_recovery_code_used,     // mfa.recovery_code_used
    mfa_recovery_codes_issued,  // mfa.recovery_codes_regenerated
    refresh_reuse,              // refresh.reuse_detected (every session ended)
    password_reset,             // password.reset (by e-mail token)
    password_changed,           // password.changed (by the account, other sessions ended)
    password_rehashed,          // password.rehashed (new Argon2 parameters after a login)
    role_changed,               // role.changed (from the CLI)
    sessions_revoked,           // sessions.revoked (logout-all, or the CLI)
};

// The stored name, e.g. `login.failed`.
std::string_view to_string(AuditType type);
// The inverse, for the CLI's --type filter.
std::optional<AuditType> audit_type_from(std::string_view name);

struct AuditEvent {
    AuditType type = AuditType::login_failed;
    std::string user_id;  // empty: no account (a failed login of an unknown e-mail)
    std::string email;    // normalized; empty when unknown
    std::string ip;
    std::string user_agent;   // truncated to kMaxUserAgent
    std::string detail_json;  // a JSON object with event-specific facts, or empty
    TimePoint at;
};

inline constexpr std::size_t kMaxUserAgent = 256;

// Where events go. record() is called on I/O threads, must be cheap and must not throw: when the
// writer cannot keep up it drops the event and counts it.
class AuditLog {
public:
    virtual ~AuditLog() = default;
    virtual void record(AuditEvent event) noexcept = 0;
};

// Who made a request: the client address (TRUST_PROXY rules) and its User-Agent header.
struct ClientInfo {
    std::string_view ip;
    std::string_view user_agent;
};

}  // namespace portcullis::auth
