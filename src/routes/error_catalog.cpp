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
        kInvalidJson,
        kJsonTooDeep,
        kBadRequest,
        kNotFound,
        kRequestTimeout,
        kPayloadTooLarge,
        kUnsupportedMediaType,
        kHeadersTooLarge,
    };
    return kAll;
}

http::Response to_response(const ApiError& error, std::string_view details_json) {
    return http::Response::error(error.status, error.message, error.code, details_json);
}

}  // namespace portcullis::routes::errors
