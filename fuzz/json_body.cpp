// Fuzz target: JSON request bodies → validated DTOs. The bytes are a body as the JSON body parser
// sees it (http/json_body.hpp: strict mode, depth limit); what parses goes through every request
// validator (auth/validation.hpp). Each verdict is a DTO or a failure whose `details` is a JSON
// array of issue objects, and a DTO holds what the rules promise (a well-formed email, a password
// of the required length).
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "auth/validation.hpp"
#include "fuzz_check.hpp"
#include "http/json_body.hpp"

namespace {
using namespace portcullis;

template <typename T>
const T* checked(const auth::Validated<T>& verdict) {
    if (const auto* failure = std::get_if<auth::ValidationFailure>(&verdict)) {
        boost::system::error_code ec;
        const auto details = boost::json::parse(failure->details_json, ec);
        FUZZ_CHECK(!ec && details.is_array() && !details.as_array().empty());
        for (const auto& issue : details.as_array()) {
            FUZZ_CHECK(issue.is_object() && issue.as_object().contains("message") &&
                       issue.as_object().contains("path"));
        }
        return nullptr;
    }
    return &std::get<T>(verdict);
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed = http::parse_json_text(text);
    FUZZ_CHECK((parsed.value != nullptr) != (parsed.error != nullptr));
    const boost::json::value* body = parsed.value.get();

    // Each verdict is a named value: checked() points into it.
    const auto login_verdict = auth::validate_login(body);
    if (const auto* login = checked(login_verdict)) {
        FUZZ_CHECK(auth::is_valid_email(login->email));
        FUZZ_CHECK(login->password.size() >= 8);
    }
    const auto register_verdict = auth::validate_register(body);
    if (const auto* registration = checked(register_verdict)) {
        FUZZ_CHECK(auth::is_valid_email(registration->email));
        FUZZ_CHECK(auth::meets_password_complexity(registration->password));
        const std::string normalized = auth::normalize_email(registration->email);
        FUZZ_CHECK(auth::normalize_email(normalized) == normalized);
    }
    const auto email_verdict = auth::validate_email_only(body);
    if (const auto* email = checked(email_verdict)) FUZZ_CHECK(auth::is_valid_email(*email));
    for (const char* field : {"refreshToken", "token"}) {
        const auto token_verdict = auth::validate_token_field(body, field);
        if (const auto* token = checked(token_verdict)) FUZZ_CHECK(token->size() >= 20);
    }
    const auto reset_verdict = auth::validate_reset(body);
    if (const auto* reset = checked(reset_verdict)) {
        FUZZ_CHECK(auth::meets_password_complexity(reset->password));
    }
    // The path parameter rule, on the raw text.
    if (!auth::validate_user_id(text)) FUZZ_CHECK(auth::is_valid_uuid(text));
    return 0;
}
