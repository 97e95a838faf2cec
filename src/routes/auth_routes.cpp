// See auth_routes.hpp. Handlers only validate, call the service and shape JSON; the statuses of
// domain outcomes are decided in one place (error_for).
#include "routes/auth_routes.hpp"

#include <boost/json/value.hpp>

#include "auth/validation.hpp"
#include "http/error.hpp"
#include "observability/json_text.hpp"
#include "util/strings.hpp"
#include "util/time.hpp"

namespace portcullis::routes {
namespace {
using auth::AuthError;
using http::Awaitable;
using http::HttpError;
using http::Request;
using http::Response;
using observability::append_json_string;

HttpError error_for(AuthError error) {
    switch (error) {
        case AuthError::email_taken:
            return HttpError(409, "Email already registered", "EMAIL_TAKEN");
        case AuthError::invalid_credentials:
            return HttpError(401, "Invalid credentials", "INVALID_CREDENTIALS");
        case AuthError::login_locked:
            return HttpError(429, "Too many login attempts. Try again later.", "LOGIN_LOCKED");
        case AuthError::session_expired:
            return HttpError(401, "Refresh token expired", "SESSION_EXPIRED");
        case AuthError::refresh_invalid:
            return HttpError(401, "Invalid refresh token", "JWT_REFRESH_INVALID");
        case AuthError::session_invalid:
            return HttpError(401, "Invalid session", "SESSION_INVALID");
        case AuthError::refresh_reuse:
            return HttpError(401, "Invalid token", "REFRESH_REUSE");
        case AuthError::unauthorized:
            return HttpError(401, "Unauthorized", "UNAUTHORIZED");
        case AuthError::access_invalid:
            return HttpError(401, "Invalid access token", "JWT_ACCESS_INVALID");
        case AuthError::forbidden:
            return HttpError(403, "Forbidden", "FORBIDDEN");
        case AuthError::user_not_found:
            return HttpError(404, "User not found", "USER_NOT_FOUND");
        case AuthError::verification_invalid:
            return HttpError(400, "Invalid verification token", "EMAIL_VERIFICATION_INVALID");
        case AuthError::verification_expired:
            return HttpError(400, "Verification token expired", "EMAIL_VERIFICATION_EXPIRED");
        case AuthError::reset_invalid:
            return HttpError(400, "Invalid reset token", "PASSWORD_RESET_INVALID");
        case AuthError::reset_expired:
            return HttpError(400, "Reset token expired", "PASSWORD_RESET_EXPIRED");
    }
    return HttpError(500, "Internal Server Error");
}

template <typename T>
T value_or_throw(auth::Outcome<T> outcome) {
    if (auto* error = std::get_if<AuthError>(&outcome)) throw error_for(*error);
    return std::move(std::get<T>(outcome));
}

template <typename T>
T valid_or_throw(auth::Validated<T> validated, const AuthRoutesOptions& options) {
    if (auto* failure = std::get_if<auth::ValidationFailure>(&validated)) {
        throw HttpError(400, "Invalid request payload", "VALIDATION",
                        options.production ? std::string{} : failure->details_json);
    }
    return std::move(std::get<T>(validated));
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

// Authenticates the request or throws the 401 of contract 5.8.
Awaitable<auth::Caller> require_caller(auth::AuthService& service, Request& request) {
    auto caller =
        value_or_throw(co_await service.authenticate(request.headers.get("authorization")));
    request.user_id = caller.user_id;
    co_return caller;
}
}  // namespace

std::vector<http::Route> auth_routes(auth::AuthService& service, AuthRoutesOptions options) {
    std::vector<http::Route> routes;
    auto* svc = &service;

    routes.push_back(
        {"POST", "/auth/register", [svc, options](Request& r) -> Awaitable<Response> {
             auto input = valid_or_throw(auth::validate_register(r.json.get()), options);
             auto result = value_or_throw(co_await svc->register_user(input.email, input.password));
             if (!result.tokens) {
                 co_return Response::json(201, R"({"emailVerificationRequired":true})");
             }
             co_return token_pair(201, *result.tokens, R"("emailVerificationRequired":false,)");
         }});

    routes.push_back({"POST", "/auth/login", [svc, options](Request& r) -> Awaitable<Response> {
                          auto input = valid_or_throw(auth::validate_login(r.json.get()), options);
                          auto pair = value_or_throw(
                              co_await svc->login(input.email, input.password, r.client_ip));
                          co_return token_pair(200, pair);
                      }});

    routes.push_back({"POST", "/auth/refresh", [svc, options](Request& r) -> Awaitable<Response> {
                          auto token = valid_or_throw(
                              auth::validate_token_field(r.json.get(), "refreshToken"), options);
                          co_return token_pair(200, value_or_throw(co_await svc->refresh(token)));
                      }});

    routes.push_back({"POST", "/auth/logout", [svc, options](Request& r) -> Awaitable<Response> {
                          auto token = valid_or_throw(
                              auth::validate_token_field(r.json.get(), "refreshToken"), options);
                          co_await svc->logout(token);
                          co_return Response::empty(204);
                      }});

    routes.push_back(
        {"POST", "/auth/verify-email", [svc, options](Request& r) -> Awaitable<Response> {
             auto token =
                 valid_or_throw(auth::validate_token_field(r.json.get(), "token"), options);
             value_or_throw(co_await svc->verify_email(token));
             co_return Response::empty(204);
         }});

    // Both answer 202 whatever the address (decisions B.10, C.1): the work happens in the outbox.
    routes.push_back(
        {"POST", "/auth/request-password-reset", [svc, options](Request& r) -> Awaitable<Response> {
             auto email = valid_or_throw(auth::validate_email_only(r.json.get()), options);
             co_await svc->request_password_reset(email);
             co_return Response::json(202, R"({"status":"ok"})");
         }});

    routes.push_back(
        {"POST", "/auth/resend-verification", [svc, options](Request& r) -> Awaitable<Response> {
             auto email = valid_or_throw(auth::validate_email_only(r.json.get()), options);
             co_await svc->resend_verification(email);
             co_return Response::json(202, R"({"status":"ok"})");
         }});

    // Validation (password complexity included) comes first, so a weak password leaves the token
    // usable (contract 4.3).
    routes.push_back(
        {"POST", "/auth/reset-password", [svc, options](Request& r) -> Awaitable<Response> {
             auto input = valid_or_throw(auth::validate_reset(r.json.get()), options);
             value_or_throw(co_await svc->reset_password(input.token, input.password));
             co_return Response::empty(204);
         }});

    routes.push_back({"GET", "/auth/sessions", [svc](Request& r) -> Awaitable<Response> {
                          const auto caller = co_await require_caller(*svc, r);
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
                          const auto caller = co_await require_caller(*svc, r);
                          co_await svc->logout_all(caller);
                          co_return Response::empty(204);
                      }});
    return routes;
}

std::vector<http::Route> protected_routes(auth::AuthService& service, AuthRoutesOptions options) {
    std::vector<http::Route> routes;
    auto* svc = &service;

    routes.push_back({"GET", "/protected/admin/ping", [svc](Request& r) -> Awaitable<Response> {
                          const auto caller = co_await require_caller(*svc, r);
                          if (caller.role != auth::Role::admin)
                              throw error_for(AuthError::forbidden);
                          co_return Response::json(200, R"({"status":"ok"})");
                      }});

    routes.push_back(
        {"GET", "/protected/users/:userId", [svc, options](Request& r) -> Awaitable<Response> {
             const auto caller = co_await require_caller(*svc, r);
             const auto user_id = r.param("userId");
             if (auto failure = auth::validate_user_id(user_id)) {
                 throw HttpError(400, "Invalid request payload", "VALIDATION",
                                 options.production ? std::string{} : failure->details_json);
             }
             const auto view = value_or_throw(co_await svc->find_user(caller, user_id));
             std::string body = "{\"user\":{\"id\":";
             append_json_string(body, view.id);
             body += ",\"email\":";
             append_json_string(body, view.email);
             body += ",\"role\":";
             append_json_string(body, auth::to_string(view.role));
             body += view.owner ? "},\"owner\":true}" : "},\"owner\":false}";
             co_return Response::json(200, std::move(body));
         }});
    return routes;
}

http::UserResolver log_user(const auth::AuthService& service) {
    return [&service](const Request& request) -> std::optional<std::string> {
        const auto authorization = request.headers.get("authorization");
        if (authorization.empty()) return std::nullopt;
        return service.log_user(authorization);
    };
}

}  // namespace portcullis::routes
