// The data the auth core works with, independent of how it is stored (contract 7.2).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace portcullis::auth {

using TimePoint = std::chrono::system_clock::time_point;

enum class Role { user, admin };
std::string_view to_string(Role role);  // "USER" / "ADMIN"

struct User {
    std::string id;
    std::string email;
    std::string password_hash;
    Role role = Role::user;
    std::optional<TimePoint> email_verified_at;
    // A TOTP enrolment is enabled (issue #16): a right password leads to an MFA challenge. Set by
    // the login lookup (UserStore::find_by_email) only.
    bool mfa_enabled = false;
};

struct SessionSummary {
    std::string id;
    TimePoint created_at;
    TimePoint updated_at;
    bool valid = true;
};

// One row of LoginAttempt (contract 5.7), or its Redis twin.
struct LoginAttempt {
    int fail_count = 0;
    std::optional<TimePoint> locked_until;
    TimePoint last_failed_at;
};

}  // namespace portcullis::auth
