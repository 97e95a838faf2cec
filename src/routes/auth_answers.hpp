// What the /auth route tables share (auth_routes.cpp, account_routes.cpp): the status and code of
// every domain outcome (one place, the error catalog), the 400 of a failed validation, Bearer
// authentication and the client of a request. Expected failures are answered as values.
#pragma once

#include <optional>
#include <string_view>
#include <variant>

#include "auth/audit.hpp"
#include "auth/service.hpp"
#include "auth/validation.hpp"
#include "http/request.hpp"
#include "http/response.hpp"
#include "http/router.hpp"
#include "openapi/operation.hpp"
#include "routes/auth_routes.hpp"
#include "routes/error_catalog.hpp"

namespace portcullis::routes {

// The catalog entry of a domain outcome.
const openapi::ApiError& error_entry(auth::AuthError error);
http::Response error_response(auth::AuthError error);

// The 400 to answer when `validated` failed (without `details` in production), nullopt when it
// holds a value.
template <typename T>
std::optional<http::Response> rejected(const auth::Validated<T>& validated,
                                       const AuthRoutesOptions& options) {
    const auto* failure = std::get_if<auth::ValidationFailure>(&validated);
    if (failure == nullptr) return std::nullopt;
    return errors::to_response(errors::kValidation,
                               options.production ? std::string_view{} : failure->details_json);
}

// The error answer of a failed outcome, nullopt when it succeeded.
template <typename T>
std::optional<http::Response> failed(const auth::Outcome<T>& outcome) {
    const auto* error = std::get_if<auth::AuthError>(&outcome);
    if (error == nullptr) return std::nullopt;
    return error_response(*error);
}

// `{"accessToken":...,"refreshToken":...}` with `prefix` (JSON members and a comma) in front.
http::Response token_pair(int status, const auth::TokenPair& pair, std::string_view prefix = {});

// Contract 5.8: the caller of a Bearer token, or the 401 to answer. The request log names the
// user once authenticated.
http::Awaitable<auth::Outcome<auth::Caller>> authenticate(auth::AuthService& service,
                                                          http::Request& request);

// The client address (TRUST_PROXY rules) and User-Agent of a request, for audit events. Views
// into `request`.
auth::ClientInfo client_of(const http::Request& request);

}  // namespace portcullis::routes
