// The account-security routes of issue #16: the second step of an MFA login, password change,
// TOTP enrolment and its management, and the caller's security events. Declared in one table with
// their OpenAPI operations, like routes/auth_routes.
#pragma once

#include <vector>

#include "auth/account_ports.hpp"
#include "auth/mfa.hpp"
#include "auth/service.hpp"
#include "http/router.hpp"
#include "routes/auth_routes.hpp"

namespace portcullis::routes {

// `events` null: audit events are off (AUDIT_EVENTS_ENABLED=false) and GET /auth/events is not
// served. Everything passed in must outlive the router.
std::vector<http::Route> account_routes(auth::AuthService& service, auth::MfaService& mfa,
                                        auth::AuditReader* events, AuthRoutesOptions options);

}  // namespace portcullis::routes
