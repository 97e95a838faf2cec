// The one exception type that reaches clients (design section 3): turned into the contract's
// envelope `{"error":{"message":...,"code":...,"details":...}}` by the pipeline's error boundary.
// Also the errors the HTTP layer answers itself, each with a stable code (decisions E.1).
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "http/response.hpp"

namespace portcullis::http {

class HttpError : public std::runtime_error {
public:
    HttpError(int status, std::string message, std::string code = {}, std::string details_json = {})
        : std::runtime_error(message),
          status_(status),
          message_(std::move(message)),
          code_(std::move(code)),
          details_json_(std::move(details_json)) {}

    int status() const { return status_; }
    const std::string& message() const { return message_; }
    const std::string& code() const { return code_; }                  // empty: no `code` key
    const std::string& details_json() const { return details_json_; }  // empty: no `details` key

private:
    int status_;
    std::string message_;
    std::string code_;
    std::string details_json_;
};

// Infrastructure failure with a stable code, mapped to 503 (e.g. DATABASE_UNAVAILABLE).
inline HttpError service_unavailable(std::string message, std::string code) {
    return HttpError(503, std::move(message), std::move(code));
}

// An error of the HTTP layer: its status, code and message (the reference's message where the
// reference answered it; a few carry details in their message, see below).
struct LayerError {
    int status = 400;
    std::string_view code;
    std::string_view message;
};

// Body nesting that JSON bodies may have: deeper (valid) JSON is JSON_TOO_DEEP. No request body
// of the API nests more than two levels; the bound keeps the parser's and the value's memory and
// recursion small.
inline constexpr std::size_t kMaxJsonDepth = 256;

namespace errors {
inline constexpr LayerError kInvalidJson{400, "INVALID_JSON", "Invalid JSON"};
inline constexpr LayerError kJsonTooDeep{400, "JSON_TOO_DEEP",
                                         "JSON nested deeper than 256 levels"};
// Also `request size did not match content length`, `invalid compressed body` and
// `Failed to decode param '<segment>'`.
inline constexpr LayerError kBadRequest{400, "BAD_REQUEST", "Bad Request"};
inline constexpr LayerError kNotFound{404, "NOT_FOUND", "Not Found"};
inline constexpr LayerError kRequestTimeout{408, "REQUEST_TIMEOUT", "Request Timeout"};
inline constexpr LayerError kPayloadTooLarge{413, "PAYLOAD_TOO_LARGE", "request entity too large"};
// The message names what is unsupported: `unsupported charset "<CHARSET>"` or
// `unsupported content encoding "<coding>"`.
inline constexpr LayerError kUnsupportedMediaType{415, "UNSUPPORTED_MEDIA_TYPE",
                                                  "unsupported charset \"<CHARSET>\""};
inline constexpr LayerError kHeadersTooLarge{431, "HEADERS_TOO_LARGE",
                                             "Request Header Fields Too Large"};
// A new connection over the connection limits (the same answer as a full hashing queue).
inline constexpr LayerError kOverloaded{503, "OVERLOADED", "Server is busy, please retry"};
}  // namespace errors

// `error` as the response (the envelope with its code); `message` replaces the standard one.
inline Response error_response(const LayerError& error, std::string_view message = {}) {
    return Response::error(error.status, message.empty() ? error.message : message, error.code);
}

// `error` as the exception the pipeline answers; `message` replaces the standard one.
inline HttpError layer_error(const LayerError& error, std::string message = {}) {
    return HttpError(error.status,
                     message.empty() ? std::string(error.message) : std::move(message),
                     std::string(error.code));
}

}  // namespace portcullis::http
