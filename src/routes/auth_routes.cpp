// See auth_routes.hpp. Handlers only validate, call the service and shape JSON; the statuses of
// domain outcomes are decided in one place (error_entry) and answered as values, never thrown.
#include "routes/auth_routes.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <stdexcept>

#include "auth/validation.hpp"
#include "http/request.hpp"
#include "ratelimit/policy.hpp"
#include "routes/error_catalog.hpp"
#include "routes/operations.hpp"
#include "util/json_text.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace portcullis::routes {
namespace {
using auth::AuthError;
using http::Awaitable;
using http::Request;
using http::Response;
using util::append_json_string;

const openapi::ApiError& error_entry(AuthError error) {
    switch (error) {
        case AuthError::email_taken:
            return errors::kEmailTaken;
        case AuthError::invalid_credentials:
            return errors::kInvalidCredentials;
        case AuthError::login_locked:
            return errors::kLoginLocked;
        case AuthError::session_expired:
            return errors::kSessionExpired;
        case AuthError::refresh_invalid:
            return errors::kRefreshInvalid;
        case AuthError::session_invalid:
            return errors::kSessionInvalid;
        case AuthError::refresh_reuse:
            return errors::kRefreshReuse;
        case AuthError::unauthorized:
            return errors::kUnauthorized;
        case AuthError::access_invalid:
            return errors::kAccessInvalid;
        case AuthError::forbidden:
            return errors::kForbidden;
        case AuthError::user_not_found:
            return errors::kUserNotFound;
        case AuthError::verification_invalid:
            return errors::kVerificationInvalid;
        case AuthError::verification_expired:
            return errors::kVerificationExpired;
        case AuthError::reset_invalid:
            return errors::kResetInvalid;
        case AuthError::reset_expired:
            return errors::kResetExpired;
    }
    throw std::logic_error("unknown AuthError");
}

Response error_response(AuthError error) {
    return errors::to_response(error_entry(error));
}

// The 400 to answer when `validated` failed, nullopt when it holds a value.
template <typename T>
std::optional<Response> rejected(const auth::Validated<T>& validated,
                                 const AuthRoutesOptions& options) {
    const auto* failure = std::get_if<auth::ValidationFailure>(&validated);
    if (failure == nullptr) return std::nullopt;
    return errors::to_response(errors::kValidation,
                               options.production ? std::string_view{} : failure->details_json);
}

// The error answer of a failed outcome, nullopt when it succeeded.
template <typename T>
std::optional<Response> failed(const auth::Outcome<T>& outcome) {
    const auto* error = std::get_if<AuthError>(&outcome);
    if (error == nullptr) return std::nullopt;
    return error_response(*error);
}

Response token_pair(int status, const auth::TokenPair& pair, std::string_view prefix = {}) {
    std::string body = "{";
    body += prefix;
    body += "\"accessToken\":";
    append_json_string(body, pair.access_token);
    body += ",\"refreshToken\":";
    append_json_string(body, pair.refresh_token);
    body += '}';
    return Response::json(status, std::move(body));
}

// Contract 5.8: the caller of a Bearer token, or the 401 to answer. The request log names the
// user once authenticated.
Awaitable<auth::Outcome<auth::Caller>> authenticate(auth::AuthService& service, Request& request) {
    auto outcome = co_await service.authenticate(request.headers.get("authorization"));
    if (const auto* caller = std::get_if<auth::Caller>(&outcome)) request.user_id = caller->user_id;
    co_return outcome;
}

// Every /auth and /protected route may fail on the database (decisions E.6); the ones that hash a
// password may find the hashing queue full (decisions C.3).
const std::vector<openapi::ApiError> kBearerErrors{errors::kUnauthorized, errors::kAccessInvalid,
                                                   errors::kSessionInvalid,
                                                   errors::kDatabaseUnavailable};

openapi::Success no_content(std::string description) {
    return {.status = 204, .description = std::move(description)};
}

std::vector<Documented> auth_operations() {
    std::vector<Documented> out;
    out.push_back(
        {"POST",
         "/auth/register",
         {.operation_id = "registerUser",
          .tag = "Auth",
          .summary = "Register an account",
          .description = "Creates a USER account. Without required e-mail verification the "
                         "answer carries a token pair; with it, a verification e-mail is sent "
                         "and no tokens are issued. Rate-limited per client.",
          .request_body = &auth::register_schema(),
          .successes =
              {{.status = 201, .description = "Account created.", .schema = "RegisterResponse"}},
          .errors = {errors::kValidation, errors::kEmailTaken, errors::kDatabaseUnavailable,
                     errors::kOverloaded}}});
    out.push_back(
        {"POST",
         "/auth/login",
         {.operation_id = "loginUser",
          .tag = "Auth",
          .summary = "Log in",
          .description = "Checks the password and opens a session. Repeated failures lock the "
                         "e-mail and client address out for a while (429 LOGIN_LOCKED).",
          .request_body = &auth::login_schema(),
          .successes = {{.status = 200, .description = "A new session.", .schema = "TokenPair"}},
          .errors = {errors::kValidation, errors::kInvalidCredentials, errors::kLoginLocked,
                     errors::kDatabaseUnavailable, errors::kOverloaded}}});
    out.push_back(
        {"POST",
         "/auth/refresh",
         {.operation_id = "refreshTokens",
          .tag = "Auth",
          .summary = "Rotate the refresh token",
          .description = "Answers a new token pair; the presented refresh token stops working. "
                         "Presenting an already rotated token ends the session (REFRESH_REUSE).",
          .request_body = &auth::refresh_token_schema(),
          .successes = {{.status = 200, .description = "The rotated pair.", .schema = "TokenPair"}},
          .errors = {errors::kValidation, errors::kSessionExpired, errors::kRefreshInvalid,
                     errors::kSessionInvalid, errors::kRefreshReuse,
                     errors::kDatabaseUnavailable}}});
    out.push_back({"POST",
                   "/auth/logout",
                   {.operation_id = "logoutSession",
                    .tag = "Auth",
                    .summary = "End a session",
                    .description = "Revokes the session of the refresh token when it is that "
                                   "session's current one; always 204 after validation.",
                    .request_body = &auth::refresh_token_schema(),
                    .successes = {no_content("Logged out (or nothing to do).")},
                    .errors = {errors::kValidation, errors::kDatabaseUnavailable}}});
    out.push_back({"POST",
                   "/auth/verify-email",
                   {.operation_id = "verifyEmail",
                    .tag = "Auth",
                    .summary = "Verify an e-mail address",
                    .description = "Consumes the one-time token from the verification e-mail.",
                    .request_body = &auth::token_schema(),
                    .successes = {no_content("The address is verified.")},
                    .errors = {errors::kValidation, errors::kVerificationInvalid,
                               errors::kVerificationExpired, errors::kDatabaseUnavailable}}});
    out.push_back(
        {"POST",
         "/auth/request-password-reset",
         {.operation_id = "requestPasswordReset",
          .tag = "Auth",
          .summary = "Request a password reset e-mail",
          .description = "202 for any address, known or not, in the same time; a known account "
                         "receives a reset e-mail. Rate-limited per client.",
          .request_body = &auth::email_schema(),
          .successes = {{.status = 202, .description = "Accepted.", .schema = "AcceptedResponse"}},
          .errors = {errors::kValidation, errors::kDatabaseUnavailable}}});
    out.push_back(
        {"POST",
         "/auth/resend-verification",
         {.operation_id = "resendVerification",
          .tag = "Auth",
          .summary = "Send the verification e-mail again",
          .description = "202 for any address; an existing, unverified account receives a fresh "
                         "verification e-mail. Rate-limited like password reset requests.",
          .request_body = &auth::email_schema(),
          .successes = {{.status = 202, .description = "Accepted.", .schema = "AcceptedResponse"}},
          .errors = {errors::kValidation, errors::kDatabaseUnavailable}}});
    out.push_back(
        {"POST",
         "/auth/reset-password",
         {.operation_id = "resetPassword",
          .tag = "Auth",
          .summary = "Set a new password",
          .description = "Consumes the reset token, sets the password, ends every session and "
                         "clears the lockout. A weak password is refused before the token is "
                         "looked at, so the token stays usable.",
          .request_body = &auth::reset_password_schema(),
          .successes = {no_content("Password changed.")},
          .errors = {errors::kValidation, errors::kResetInvalid, errors::kResetExpired,
                     errors::kDatabaseUnavailable, errors::kOverloaded}}});
    out.push_back({"GET",
                   "/auth/sessions",
                   {.operation_id = "listSessions",
                    .tag = "Sessions",
                    .summary = "List the caller's sessions",
                    .description = "Every session of the caller, valid and revoked, newest first.",
                    .security = "BearerAuth",
                    .successes = {{.status = 200,
                                   .description = "The sessions.",
                                   .schema = "SessionsResponse"}},
                    .errors = kBearerErrors}});
    out.push_back({"POST",
                   "/auth/logout-all",
                   {.operation_id = "logoutAllSessions",
                    .tag = "Sessions",
                    .summary = "End every session of the caller",
                    .description = "The current access token stops working too.",
                    .security = "BearerAuth",
                    .successes = {no_content("All sessions ended.")},
                    .errors = kBearerErrors}});
    return out;
}

std::vector<Documented> protected_operations() {
    std::vector<Documented> out;
    auto ping_errors = kBearerErrors;
    ping_errors.push_back(errors::kForbidden);
    out.push_back({"GET",
                   "/protected/admin/ping",
                   {.operation_id = "adminPing",
                    .tag = "RBAC",
                    .summary = "Admin check",
                    .description = "200 for a caller whose current role is ADMIN.",
                    .security = "BearerAuth",
                    .successes = {{.status = 200, .description = "Admin.", .schema = "StatusOk"}},
                    .errors = std::move(ping_errors)}});
    auto user_errors = kBearerErrors;
    user_errors.insert(user_errors.end(),
                       {errors::kValidation, errors::kForbidden, errors::kUserNotFound});
    out.push_back(
        {"GET",
         "/protected/users/:userId",
         {.operation_id = "getProtectedUser",
          .tag = "RBAC",
          .summary = "Read a user",
          .description = "The caller's own record, or any record for an ADMIN. Any other caller "
                         "gets 403 whether or not the id exists.",
          .security = "BearerAuth",
          .parameters = {{.name = "userId", .schema = &auth::user_id_schema()}},
          .successes =
              {{.status = 200, .description = "The user.", .schema = "ProtectedUserResponse"}},
          .errors = std::move(user_errors)}});
    return out;
}

// The caller as the hashing pool sees it (issue #19): its network as the rate limits key it (the
// fair share), and whether it has disconnected (its Argon2 job is then dropped unrun). Passed as a
// named value: a temporary living across a co_await is destroyed twice by GCC 12.
auth::CpuPool::Client hashing_client(const Request& r) {
    return {ratelimit::client_key(r.client_ip),
            [fd = r.socket_fd] { return http::socket_disconnected(fd); }};
}

}  // namespace

std::vector<http::Route> auth_routes(auth::AuthService& service, AuthRoutesOptions options) {
    std::vector<http::Route> routes;
    auto* svc = &service;

    routes.push_back(
        {"POST", "/auth/register", [svc, options](Request& r) -> Awaitable<Response> {
             const auto input = auth::validate_register(r.json.get());
             if (auto answer = rejected(input, options)) co_return std::move(*answer);
             const auto& [email, password] = std::get<auth::EmailPassword>(input);
             auto hashing = hashing_client(r);
             const auto outcome = co_await svc->register_user(email, password, hashing);
             if (auto answer = failed(outcome)) co_return std::move(*answer);
             const auto& result = std::get<auth::Registration>(outcome);
             if (!result.tokens) {
                 co_return Response::json(201, R"({"emailVerificationRequired":true})");
             }
             co_return token_pair(201, *result.tokens, R"("emailVerificationRequired":false,)");
         }});

    routes.push_back({"POST", "/auth/login", [svc, options](Request& r) -> Awaitable<Response> {
                          const auto input = auth::validate_login(r.json.get());
                          if (auto answer = rejected(input, options)) co_return std::move(*answer);
                          const auto& [email, password] = std::get<auth::EmailPassword>(input);
                          auto hashing = hashing_client(r);
                          const auto outcome =
                              co_await svc->login(email, password, r.client_ip, hashing);
                          if (auto answer = failed(outcome)) co_return std::move(*answer);
                          co_return token_pair(200, std::get<auth::TokenPair>(outcome));
                      }});

    routes.push_back({"POST", "/auth/refresh", [svc, options](Request& r) -> Awaitable<Response> {
                          const auto token =
                              auth::validate_token_field(r.json.get(), "refreshToken");
                          if (auto answer = rejected(token, options)) co_return std::move(*answer);
                          const auto outcome = co_await svc->refresh(std::get<std::string>(token));
                          if (auto answer = failed(outcome)) co_return std::move(*answer);
                          co_return token_pair(200, std::get<auth::TokenPair>(outcome));
                      }});

    routes.push_back({"POST", "/auth/logout", [svc, options](Request& r) -> Awaitable<Response> {
                          const auto token =
                              auth::validate_token_field(r.json.get(), "refreshToken");
                          if (auto answer = rejected(token, options)) co_return std::move(*answer);
                          co_await svc->logout(std::get<std::string>(token));
                          co_return Response::empty(204);
                      }});

    routes.push_back(
        {"POST", "/auth/verify-email", [svc, options](Request& r) -> Awaitable<Response> {
             const auto token = auth::validate_token_field(r.json.get(), "token");
             if (auto answer = rejected(token, options)) co_return std::move(*answer);
             const auto outcome = co_await svc->verify_email(std::get<std::string>(token));
             if (auto answer = failed(outcome)) co_return std::move(*answer);
             co_return Response::empty(204);
         }});

    // Both answer 202 whatever the address (decisions B.10, C.1): the work happens in the outbox.
    routes.push_back(
        {"POST", "/auth/request-password-reset", [svc, options](Request& r) -> Awaitable<Response> {
             const auto email = auth::validate_email_only(r.json.get());
             if (auto answer = rejected(email, options)) co_return std::move(*answer);
             co_await svc->request_password_reset(std::get<std::string>(email));
             co_return Response::json(202, R"({"status":"ok"})");
         }});

    routes.push_back(
        {"POST", "/auth/resend-verification", [svc, options](Request& r) -> Awaitable<Response> {
             const auto email = auth::validate_email_only(r.json.get());
             if (auto answer = rejected(email, options)) co_return std::move(*answer);
             co_await svc->resend_verification(std::get<std::string>(email));
             co_return Response::json(202, R"({"status":"ok"})");
         }});

    // Validation (password complexity included) comes first, so a weak password leaves the token
    // usable (contract 4.3).
    routes.push_back(
        {"POST", "/auth/reset-password", [svc, options](Request& r) -> Awaitable<Response> {
             const auto input = auth::validate_reset(r.json.get());
             if (auto answer = rejected(input, options)) co_return std::move(*answer);
             const auto& [token, password] = std::get<auth::TokenPassword>(input);
             auto hashing = hashing_client(r);
             const auto outcome = co_await svc->reset_password(token, password, hashing);
             if (auto answer = failed(outcome)) co_return std::move(*answer);
             co_return Response::empty(204);
         }});

    routes.push_back({"GET", "/auth/sessions", [svc](Request& r) -> Awaitable<Response> {
                          const auto authenticated = co_await authenticate(*svc, r);
                          if (auto answer = failed(authenticated)) co_return std::move(*answer);
                          const auto& caller = std::get<auth::Caller>(authenticated);
                          const auto sessions = co_await svc->sessions(caller);
                          std::string body = "{\"sessions\":[";
                          for (std::size_t i = 0; i < sessions.size(); ++i) {
                              const auto& s = sessions[i];
                              if (i > 0) body += ',';
                              body += "{\"id\":";
                              append_json_string(body, s.id);
                              body += ",\"createdAt\":";
                              append_json_string(body, util::format_iso8601_ms(s.created_at));
                              body += ",\"updatedAt\":";
                              append_json_string(body, util::format_iso8601_ms(s.updated_at));
                              body += s.valid ? ",\"valid\":true" : ",\"valid\":false";
                              body += s.id == caller.session_id ? ",\"current\":true}"
                                                                : ",\"current\":false}";
                          }
                          body += "],\"count\":" + std::to_string(sessions.size()) + "}";
                          co_return Response::json(200, std::move(body));
                      }});

    routes.push_back({"POST", "/auth/logout-all", [svc](Request& r) -> Awaitable<Response> {
                          const auto authenticated = co_await authenticate(*svc, r);
                          if (auto answer = failed(authenticated)) co_return std::move(*answer);
                          co_await svc->logout_all(std::get<auth::Caller>(authenticated));
                          co_return Response::empty(204);
                      }});
    return with_operations(std::move(routes), auth_operations());
}

std::vector<http::Route> protected_routes(auth::AuthService& service, AuthRoutesOptions options) {
    std::vector<http::Route> routes;
    auto* svc = &service;

    routes.push_back({"GET", "/protected/admin/ping", [svc](Request& r) -> Awaitable<Response> {
                          const auto authenticated = co_await authenticate(*svc, r);
                          if (auto answer = failed(authenticated)) co_return std::move(*answer);
                          if (std::get<auth::Caller>(authenticated).role != auth::Role::admin) {
                              co_return error_response(AuthError::forbidden);
                          }
                          co_return Response::json(200, R"({"status":"ok"})");
                      }});

    routes.push_back(
        {"GET", "/protected/users/:userId", [svc, options](Request& r) -> Awaitable<Response> {
             const auto authenticated = co_await authenticate(*svc, r);
             if (auto answer = failed(authenticated)) co_return std::move(*answer);
             const auto user_id = r.param("userId");
             if (auto failure = auth::validate_user_id(user_id)) {
                 co_return errors::to_response(errors::kValidation, options.production
                                                                        ? std::string_view{}
                                                                        : failure->details_json);
             }
             const auto outcome =
                 co_await svc->find_user(std::get<auth::Caller>(authenticated), user_id);
             if (auto answer = failed(outcome)) co_return std::move(*answer);
             const auto& view = std::get<auth::UserView>(outcome);
             std::string body = "{\"user\":{\"id\":";
             append_json_string(body, view.id);
             body += ",\"email\":";
             append_json_string(body, view.email);
             body += ",\"role\":";
             append_json_string(body, auth::to_string(view.role));
             body += view.owner ? "},\"owner\":true}" : "},\"owner\":false}";
             co_return Response::json(200, std::move(body));
         }});
    return with_operations(std::move(routes), protected_operations());
}

http::UserResolver log_user(const auth::AuthService& service) {
    return [&service](const Request& request) -> std::optional<std::string> {
        const auto authorization = request.headers.get("authorization");
        if (authorization.empty()) return std::nullopt;
        return service.log_user(authorization);
    };
}

}  // namespace portcullis::routes
