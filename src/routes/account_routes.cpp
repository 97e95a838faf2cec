// See account_routes.hpp. Bearer routes authenticate first (a 401 before any validation, as
// /protected/users does), then validate the body, then call the service.
#include "routes/account_routes.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <utility>

#include "auth/validation.hpp"
#include "routes/auth_answers.hpp"
#include "routes/error_catalog.hpp"
#include "routes/operations.hpp"
#include "util/json_text.hpp"
#include "util/time.hpp"

namespace portcullis::routes {
namespace {
using http::Awaitable;
using http::Request;
using http::Response;
using util::append_json_string;

// How many events GET /auth/events answers (the newest).
constexpr int kEventsShown = 50;

const std::vector<openapi::ApiError> kBearerErrors{errors::kUnauthorized, errors::kAccessInvalid,
                                                   errors::kSessionInvalid,
                                                   errors::kDatabaseUnavailable};

std::vector<openapi::ApiError> bearer_and(std::vector<openapi::ApiError> more) {
    auto all = kBearerErrors;
    all.insert(all.end(), more.begin(), more.end());
    return all;
}

Response recovery_codes(const auth::RecoveryCodes& codes) {
    std::string body = R"({"recoveryCodes":[)";
    for (std::size_t i = 0; i < codes.codes.size(); ++i) {
        if (i > 0) body += ',';
        append_json_string(body, codes.codes[i]);
    }
    body += "]}";
    return Response::json(200, std::move(body));
}

Response totp_setup(const auth::TotpSetup& setup) {
    std::string body = R"({"secret":)";
    append_json_string(body, setup.secret);
    body += R"(,"otpauthUri":)";
    append_json_string(body, setup.otpauth_uri);
    body += R"(,"qrCodeSvg":)";
    append_json_string(body, setup.qr_svg);
    body += '}';
    return Response::json(200, std::move(body));
}

Response events_body(const std::vector<auth::StoredAuditEvent>& events) {
    std::string body = R"({"events":[)";
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (i > 0) body += ',';
        auth::append_event_json(body, events[i], false);
    }
    body += R"(],"count":)" + std::to_string(events.size()) + "}";
    return Response::json(200, std::move(body));
}

openapi::Success no_content(std::string description) {
    return {.status = 204, .description = std::move(description)};
}

std::vector<Documented> account_operations(bool events) {
    std::vector<Documented> out;
    out.push_back(
        {"POST",
         "/auth/login/mfa",
         {.operation_id = "loginMfa",
          .tag = "Auth",
          .summary = "Finish a login with a second factor",
          .description = "The second step of a login for an account with multi-factor "
                         "authentication: the `mfaToken` of the 401 MFA_REQUIRED answer (single "
                         "use, valid 5 minutes, void once the password changes) with either the "
                         "current TOTP code or an unused recovery code. A code is accepted once. "
                         "Wrong codes count towards an MFA lockout of their own (429 MFA_LOCKED), "
                         "apart from the password lockout.",
          .request_body = &auth::login_mfa_schema(),
          .successes = {{.status = 200, .description = "A new session.", .schema = "TokenPair"}},
          .errors = {errors::kValidation, errors::kMfaTokenInvalid, errors::kMfaCodeInvalid,
                     errors::kMfaLocked, errors::kDatabaseUnavailable,
                     errors::kMfaNotConfigured}}});
    out.push_back(
        {"POST",
         "/auth/change-password",
         {.operation_id = "changePassword",
          .tag = "Account",
          .summary = "Change the password",
          .description = "Checks the current password (a wrong one counts as a failed login), "
                         "refuses a new password that is common, breached or contains the "
                         "e-mail address, then sets it and ends every other session of the "
                         "caller; the current session stays.",
          .security = "BearerAuth",
          .request_body = &auth::change_password_schema(),
          .successes = {no_content("Password changed.")},
          .errors = bearer_and({errors::kValidation, errors::kPasswordBreached,
                                errors::kPasswordContainsEmail, errors::kCurrentPasswordInvalid,
                                errors::kLoginLocked, errors::kOverloaded})}});
    out.push_back(
        {"POST",
         "/auth/mfa/totp/setup",
         {.operation_id = "setupTotp",
          .tag = "Account",
          .summary = "Start a TOTP enrolment",
          .description = "Re-authenticates with the password, then creates a new authenticator "
                         "secret (stored encrypted) and answers it with its `otpauth://` URI and "
                         "that URI as a QR code. MFA is enabled by POST /auth/mfa/totp/confirm "
                         "with the first code; calling setup again before that replaces the "
                         "secret.",
          .security = "BearerAuth",
          .request_body = &auth::password_schema(),
          .successes = {{.status = 200,
                         .description = "The secret to add to an authenticator app.",
                         .schema = "TotpSetupResponse"}},
          .errors = bearer_and({errors::kValidation, errors::kCurrentPasswordInvalid,
                                errors::kLoginLocked, errors::kMfaAlreadyEnabled,
                                errors::kMfaNotConfigured, errors::kOverloaded})}});
    out.push_back(
        {"POST",
         "/auth/mfa/totp/confirm",
         {.operation_id = "confirmTotp",
          .tag = "Account",
          .summary = "Enable TOTP with the first code",
          .description = "The first valid code of the pending enrolment enables multi-factor "
                         "authentication and answers 10 single-use recovery codes, shown this "
                         "once (only their hashes are stored).",
          .security = "BearerAuth",
          .request_body = &auth::totp_code_schema(),
          .successes = {{.status = 200,
                         .description = "MFA is enabled; keep these codes.",
                         .schema = "RecoveryCodesResponse"}},
          .errors = bearer_and({errors::kValidation, errors::kMfaSetupRequired,
                                errors::kMfaAlreadyEnabled, errors::kMfaCodeInvalid,
                                errors::kMfaLocked, errors::kMfaNotConfigured})}});
    out.push_back(
        {"POST",
         "/auth/mfa/totp/disable",
         {.operation_id = "disableTotp",
          .tag = "Account",
          .summary = "Disable TOTP",
          .description = "Needs the password and a second factor (a TOTP code or a recovery "
                         "code); removes the secret and the recovery codes.",
          .security = "BearerAuth",
          .request_body = &auth::mfa_disable_schema(),
          .successes = {no_content("MFA is disabled.")},
          .errors = bearer_and({errors::kValidation, errors::kMfaNotEnabled,
                                errors::kCurrentPasswordInvalid, errors::kLoginLocked,
                                errors::kMfaCodeInvalid, errors::kMfaLocked,
                                errors::kMfaNotConfigured, errors::kOverloaded})}});
    out.push_back(
        {"POST",
         "/auth/mfa/recovery-codes",
         {.operation_id = "regenerateRecoveryCodes",
          .tag = "Account",
          .summary = "Replace the recovery codes",
          .description = "With a current TOTP code: 10 new recovery codes; the old ones stop "
                         "working.",
          .security = "BearerAuth",
          .request_body = &auth::totp_code_schema(),
          .successes = {{.status = 200,
                         .description = "The new codes; keep them.",
                         .schema = "RecoveryCodesResponse"}},
          .errors =
              bearer_and({errors::kValidation, errors::kMfaNotEnabled, errors::kMfaCodeInvalid,
                          errors::kMfaLocked, errors::kMfaNotConfigured})}});
    if (events) {
        out.push_back(
            {"GET",
             "/auth/events",
             {.operation_id = "listSecurityEvents",
              .tag = "Account",
              .summary = "The caller's security events",
              .description = "The newest 50 security events of the caller's account (logins, "
                             "failed logins, MFA changes, password changes and resets, revoked "
                             "sessions, role changes), newest first. Events are stored within "
                             "about a second of happening.",
              .security = "BearerAuth",
              .successes =
                  {{.status = 200, .description = "The events.", .schema = "AuditEventsResponse"}},
              .errors = kBearerErrors}});
    }
    return out;
}

}  // namespace

std::vector<http::Route> account_routes(auth::AuthService& service, auth::MfaService& mfa,
                                        auth::AuditReader* events, AuthRoutesOptions options) {
    std::vector<http::Route> routes;
    auto* svc = &service;
    auto* mfa_svc = &mfa;

    routes.push_back({"POST", "/auth/login/mfa", [svc, options](Request& r) -> Awaitable<Response> {
                          const auto input = auth::validate_login_mfa(r.json.get());
                          if (auto answer = rejected(input, options)) co_return std::move(*answer);
                          const auto& answer_in = std::get<auth::MfaAnswer>(input);
                          const auto outcome =
                              co_await svc->login_mfa(answer_in.mfa_token, answer_in.code,
                                                      answer_in.recovery_code, client_of(r));
                          if (auto answer = failed(outcome)) co_return std::move(*answer);
                          co_return token_pair(200, std::get<auth::TokenPair>(outcome));
                      }});

    routes.push_back(
        {"POST", "/auth/change-password", [svc, options](Request& r) -> Awaitable<Response> {
             const auto authenticated = co_await authenticate(*svc, r);
             if (auto answer = failed(authenticated)) co_return std::move(*answer);
             const auto input = auth::validate_change_password(r.json.get());
             if (auto answer = rejected(input, options)) co_return std::move(*answer);
             const auto& change = std::get<auth::PasswordChange>(input);
             const auto outcome = co_await svc->change_password(
                 std::get<auth::Caller>(authenticated), change.current_password,
                 change.new_password, client_of(r));
             if (auto answer = failed(outcome)) co_return std::move(*answer);
             co_return Response::empty(204);
         }});

    routes.push_back({"POST", "/auth/mfa/totp/setup",
                      [svc, mfa_svc, options](Request& r) -> Awaitable<Response> {
                          const auto authenticated = co_await authenticate(*svc, r);
                          if (auto answer = failed(authenticated)) co_return std::move(*answer);
                          const auto password = auth::validate_password_only(r.json.get());
                          if (auto answer = rejected(password, options))
                              co_return std::move(*answer);
                          const auto outcome = co_await mfa_svc->setup(
                              std::get<auth::Caller>(authenticated),
                              std::get<std::string>(password), client_of(r));
                          if (auto answer = failed(outcome)) co_return std::move(*answer);
                          co_return totp_setup(std::get<auth::TotpSetup>(outcome));
                      }});

    routes.push_back({"POST", "/auth/mfa/totp/confirm",
                      [svc, mfa_svc, options](Request& r) -> Awaitable<Response> {
                          const auto authenticated = co_await authenticate(*svc, r);
                          if (auto answer = failed(authenticated)) co_return std::move(*answer);
                          const auto code = auth::validate_totp_code(r.json.get());
                          if (auto answer = rejected(code, options)) co_return std::move(*answer);
                          const auto outcome =
                              co_await mfa_svc->confirm(std::get<auth::Caller>(authenticated),
                                                        std::get<std::string>(code), client_of(r));
                          if (auto answer = failed(outcome)) co_return std::move(*answer);
                          co_return recovery_codes(std::get<auth::RecoveryCodes>(outcome));
                      }});

    routes.push_back({"POST", "/auth/mfa/totp/disable",
                      [svc, mfa_svc, options](Request& r) -> Awaitable<Response> {
                          const auto authenticated = co_await authenticate(*svc, r);
                          if (auto answer = failed(authenticated)) co_return std::move(*answer);
                          const auto input = auth::validate_mfa_disable(r.json.get());
                          if (auto answer = rejected(input, options)) co_return std::move(*answer);
                          const auto& disable = std::get<auth::MfaDisable>(input);
                          const auto outcome = co_await mfa_svc->disable(
                              std::get<auth::Caller>(authenticated), disable.password, disable.code,
                              disable.recovery_code, client_of(r));
                          if (auto answer = failed(outcome)) co_return std::move(*answer);
                          co_return Response::empty(204);
                      }});

    routes.push_back({"POST", "/auth/mfa/recovery-codes",
                      [svc, mfa_svc, options](Request& r) -> Awaitable<Response> {
                          const auto authenticated = co_await authenticate(*svc, r);
                          if (auto answer = failed(authenticated)) co_return std::move(*answer);
                          const auto code = auth::validate_totp_code(r.json.get());
                          if (auto answer = rejected(code, options)) co_return std::move(*answer);
                          const auto outcome = co_await mfa_svc->regenerate(
                              std::get<auth::Caller>(authenticated), std::get<std::string>(code),
                              client_of(r));
                          if (auto answer = failed(outcome)) co_return std::move(*answer);
                          co_return recovery_codes(std::get<auth::RecoveryCodes>(outcome));
                      }});

    if (events != nullptr) {
        routes.push_back({"GET", "/auth/events", [svc, events](Request& r) -> Awaitable<Response> {
                              const auto authenticated = co_await authenticate(*svc, r);
                              if (auto answer = failed(authenticated)) {
                                  co_return std::move(*answer);
                              }
                              const auto& caller = std::get<auth::Caller>(authenticated);
                              const auto list =
                                  co_await events->recent(caller.user_id, kEventsShown);
                              co_return events_body(list);
                          }});
    }
    return with_operations(std::move(routes), account_operations(events != nullptr));
}

}  // namespace portcullis::routes
