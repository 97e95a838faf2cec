// See audit.hpp.
#include "auth/audit.hpp"

#include <array>
#include <utility>

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

}  // namespace portcullis::auth
