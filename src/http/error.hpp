// The one exception type that reaches clients (design section 3): turned into the contract's
// envelope `{"error":{"message":...,"code":...,"details":...}}` by the pipeline's error boundary.
#pragma once

#include <stdexcept>
#include <string>

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

}  // namespace portcullis::http
