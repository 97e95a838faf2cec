// See error_catalog.hpp.
#include "routes/error_catalog.hpp"

#include <array>

namespace portcullis::routes::errors {

std::span<const ApiError> catalog() {
    static constexpr std::array kAll{
        kValidation,
        kEmailTaken,
        kInvalidCredentials,
        kLoginLocked,
        kSessionExpired,
        kRefreshInvalid,
        kSessionInvalid,
        kRefreshReuse,
        kVerificationInvalid,
        kVerificationExpired,
        kResetInvalid,
        kResetExpired,
        kUnauthorized,
        kAccessInvalid,
        kForbidden,
        kUserNotFound,
        kMetricsGuardMissing,
        kMetricsGuardInvalid,
        kMetricsGuardForbidden,
        kShuttingDown,
        kNotReady,
        kRedisNotReady,
        kRateLimited,
        kRateLimitUnavailable,
        kDatabaseUnavailable,
        kOverloaded,
    };
    return kAll;
}

http::HttpError to_http_error(const ApiError& error, std::string details_json) {
    return http::HttpError(error.status, std::string(error.message), std::string(error.code),
                           std::move(details_json));
}

}  // namespace portcullis::routes::errors
