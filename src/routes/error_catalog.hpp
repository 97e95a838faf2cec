// The error catalog (contract 17 with decisions B.5, C.3, E.6): every coded error the API answers
// with, in one table. The routes answer with these entries and document them; the tests check every
// documented error against this table and that the other modules' 503s carry the same text.
#pragma once

#include <span>
#include <string>

#include "http/error.hpp"
#include "http/response.hpp"
#include "openapi/operation.hpp"

namespace portcullis::routes::errors {

using openapi::ApiError;

inline constexpr ApiError kValidation{400, "VALIDATION", "Invalid request payload"};
inline constexpr ApiError kEmailTaken{409, "EMAIL_TAKEN", "Email already registered"};
inline constexpr ApiError kInvalidCredentials{401, "INVALID_CREDENTIALS", "Invalid credentials"};
inline constexpr ApiError kLoginLocked{429, "LOGIN_LOCKED",
                                       "Too many login attempts. Try again later."};
inline constexpr ApiError kSessionExpired{401, "SESSION_EXPIRED", "Refresh token expired"};
inline constexpr ApiError kRefreshInvalid{401, "JWT_REFRESH_INVALID", "Invalid refresh token"};
inline constexpr ApiError kSessionInvalid{401, "SESSION_INVALID", "Invalid session"};
inline constexpr ApiError kRefreshReuse{401, "REFRESH_REUSE", "Invalid token"};
inline constexpr ApiError kVerificationInvalid{400, "EMAIL_VERIFICATION_INVALID",
                                               "Invalid verification token"};
inline constexpr ApiError kVerificationExpired{400, "EMAIL_VERIFICATION_EXPIRED",
                                               "Verification token expired"};
inline constexpr ApiError kResetInvalid{400, "PASSWORD_RESET_INVALID", "Invalid reset token"};
inline constexpr ApiError kResetExpired{400, "PASSWORD_RESET_EXPIRED", "Reset token expired"};
inline constexpr ApiError kUnauthorized{401, "UNAUTHORIZED", "Unauthorized"};
inline constexpr ApiError kAccessInvalid{401, "JWT_ACCESS_INVALID", "Invalid access token"};
inline constexpr ApiError kForbidden{403, "FORBIDDEN", "Forbidden"};
inline constexpr ApiError kUserNotFound{404, "USER_NOT_FOUND", "User not found"};
inline constexpr ApiError kMetricsGuardMissing{401, "METRICS_GUARD_MISSING",
                                               "Missing or invalid metrics secret"};
inline constexpr ApiError kMetricsGuardInvalid{401, "METRICS_GUARD_INVALID",
                                               "Missing or invalid metrics secret"};
inline constexpr ApiError kMetricsGuardForbidden{403, "METRICS_GUARD_FORBIDDEN",
                                                 "Metrics access forbidden"};
inline constexpr ApiError kShuttingDown{503, "SHUTTING_DOWN", "Shutting down"};
inline constexpr ApiError kNotReady{503, "NOT_READY", "Not Ready"};
inline constexpr ApiError kRedisNotReady{503, "REDIS_NOT_READY", "Redis not ready"};
// Answered by the rate-limit middleware (decisions B.5, A.4).
inline constexpr ApiError kRateLimited{429, "RATE_LIMITED",
                                       "Too many requests, please try again later."};
inline constexpr ApiError kRateLimitUnavailable{503, "RATE_LIMIT_UNAVAILABLE",
                                                "Rate limiting unavailable"};
// Thrown as util::Unavailable by db/ and the password-hashing pool (decisions C.3, E.6).
inline constexpr ApiError kDatabaseUnavailable{503, "DATABASE_UNAVAILABLE", "Database unavailable"};
inline constexpr ApiError kOverloaded{503, "OVERLOADED", "Server is busy, please retry"};

// Answered by the HTTP layer itself (decisions E.1): request reading, body parsing, routing. The
// connection caps answer kOverloaded (http::errors::kOverloaded carries the same text).
constexpr ApiError layer(const http::LayerError& error) {
    return {error.status, error.code, error.message};
}
inline constexpr ApiError kInvalidJson = layer(http::errors::kInvalidJson);
inline constexpr ApiError kJsonTooDeep = layer(http::errors::kJsonTooDeep);
inline constexpr ApiError kBadRequest = layer(http::errors::kBadRequest);
inline constexpr ApiError kNotFound = layer(http::errors::kNotFound);
inline constexpr ApiError kRequestTimeout = layer(http::errors::kRequestTimeout);
inline constexpr ApiError kPayloadTooLarge = layer(http::errors::kPayloadTooLarge);
inline constexpr ApiError kUnsupportedMediaType = layer(http::errors::kUnsupportedMediaType);
inline constexpr ApiError kHeadersTooLarge = layer(http::errors::kHeadersTooLarge);

// Every entry above.
std::span<const ApiError> catalog();

// `error`'s envelope as a response (`details_json` only for VALIDATION). Expected outcomes are
// answered with it as a value: an attacker's flood of bad tokens or locked logins never pays for
// an exception unwinding coroutine frames.
http::Response to_response(const ApiError& error, std::string_view details_json = {});

}  // namespace portcullis::routes::errors
