// See audit.hpp.
#include "auth/audit.hpp"

#include <array>
#include <utility>

#include "auth/account_ports.hpp"
#include "util/json_text.hpp"
#include "util/time.hpp"

namespace portcullis::auth {
namespace {

constexpr std::array<std::pair<AuditType, std::string_view>, 17> kNames{{
    {AuditType::registered, "user.registered"},
    {AuditType::login_succeeded, "login.succeeded"},
    {AuditType::login_failed, "login.failed"},
    {AuditType::login_locked, "login.locked"},
    {AuditType::mfa_challenged, "login.mfa_required"},
    {AuditType::mfa_failed, "mfa.failed"},
    {AuditType::mfa_locked, "mfa.locked"},
    {AuditType::mfa_enrolled, "mfa.enrolled"},
    {AuditType::mfa_disabled, "mfa.disabled"},
    {AuditType::mfa_recovery_code_used, "mfa.recovery_code_used"},
    {AuditType::mfa_recovery_codes_issued, "mfa.recovery_codes_regenerated"},
    {AuditType::refresh_reuse, "refresh.reuse_detected"},
    {AuditType::password_reset, "password.reset"},
    {AuditType::password_changed, "password.changed"},
    {AuditType::password_rehashed, "password.rehashed"},
    {AuditType::role_changed, "role.changed"},
    {AuditType::sessions_revoked, "sessions.revoked"},
}};

}  // namespace

std::string_view to_string(AuditType type) {
    for (const auto& [value, name] : kNames) {
        if (value == type) return name;
    }
    return "unknown";
}

std::optional<AuditType> audit_type_from(std::string_view name) {
    for (const auto& [value, text] : kNames) {
        if (text == name) return value;
    }
    return std::nullopt;
}

namespace {
void append_nullable(std::string& out, std::string_view text) {
    if (text.empty()) {
        out += "null";
    } else {
        util::append_json_string(out, text);
    }
}
}  // namespace

void append_event_json(std::string& out, const StoredAuditEvent& event, bool with_account) {
    out += R"({"id":)";
    util::append_json_number(out, event.id);
    out += R"(,"type":)";
    util::append_json_string(out, event.type);
    out += R"(,"createdAt":)";
    util::append_json_string(out, util::format_iso8601_ms(event.at));
    if (with_account) {
        out += R"(,"userId":)";
        append_nullable(out, event.user_id);
        out += R"(,"email":)";
        append_nullable(out, event.email);
    }
    out += R"(,"ipAddress":)";
    append_nullable(out, event.ip);
    out += R"(,"userAgent":)";
    append_nullable(out, event.user_agent);
    // Stored as jsonb by the writer, so it is a JSON object already.
    out += R"(,"detail":)";
    out += event.detail_json.empty() ? "null" : event.detail_json;
    out += '}';
}

}  // namespace portcullis::auth
