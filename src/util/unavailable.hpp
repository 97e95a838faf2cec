// A dependency the request needs is down or saturated: the pipeline answers 503 with `code`
// (DATABASE_UNAVAILABLE, OVERLOADED, ...) instead of a generic 500 (design section 3).
#pragma once

#include <stdexcept>
#include <string>

namespace portcullis::util {

class Unavailable : public std::runtime_error {
public:
    Unavailable(std::string code, std::string public_message, const std::string& detail)
        : std::runtime_error(detail),
          code_(std::move(code)),
          public_message_(std::move(public_message)) {}

    const std::string& code() const { return code_; }
    // Safe to show to clients; what() holds the detail for logs.
    const std::string& public_message() const { return public_message_; }

private:
    std::string code_;
    std::string public_message_;
};

}  // namespace portcullis::util
