// Request-body and path validation with the rules of contract 4.1 and the issue objects of
// contract 3.2 (the shapes zod 4 emits), so `details` is what the reference's clients parse.
// The rules are schema declarations: the routes name the same schemas in the OpenAPI document.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <boost/json/fwd.hpp>

#include "schema/schema.hpp"

namespace portcullis::auth {

// The request schemas (contract 4.1), one per body shape; static, alive for the process.
const schema::ObjectSchema& register_schema();        // {email, password (complexity)}
const schema::ObjectSchema& login_schema();           // {email, password (min 8)}
const schema::ObjectSchema& email_schema();           // {email}
const schema::ObjectSchema& refresh_token_schema();   // {refreshToken}
const schema::ObjectSchema& token_schema();           // {token}
const schema::ObjectSchema& reset_password_schema();  // {token, password (complexity)}
const schema::StringSchema& user_id_schema();         // the `userId` path parameter
// Account security (issue #16).
const schema::ObjectSchema& login_mfa_schema();        // {mfaToken, code | recoveryCode}
const schema::ObjectSchema& change_password_schema();  // {currentPassword, newPassword}
const schema::ObjectSchema& password_schema();         // {password} (re-authentication)
const schema::ObjectSchema& totp_code_schema();        // {code}
const schema::ObjectSchema& mfa_disable_schema();      // {password, code | recoveryCode}

// A failed validation: the JSON array text for `details` (issue objects in check order).
struct ValidationFailure {
    std::string details_json;
};

template <typename T>
using Validated = std::variant<T, ValidationFailure>;

struct EmailPassword {
    std::string email;  // as sent (normalize with normalize_email)
    std::string password;
};

// `body` is null when the request had no parsed JSON body (reported as "received undefined").
Validated<EmailPassword> validate_register(const boost::json::value* body);  // email + complexity
Validated<EmailPassword> validate_login(const boost::json::value* body);     // email + min 8
Validated<std::string> validate_email_only(const boost::json::value* body);  // {email}
// `{<field>}` string of at least 20 UTF-16 units; `field` is `refreshToken` or `token`
// (std::invalid_argument otherwise).
Validated<std::string> validate_token_field(const boost::json::value* body, std::string_view field);
struct TokenPassword {
    std::string token;
    std::string password;
};
Validated<TokenPassword> validate_reset(const boost::json::value* body);  // token + complexity

// The second step of an MFA login; exactly one of `code` and `recovery_code` is non-empty.
struct MfaAnswer {
    std::string mfa_token;
    std::string code;
    std::string recovery_code;
};
Validated<MfaAnswer> validate_login_mfa(const boost::json::value* body);
struct PasswordChange {
    std::string current_password;
    std::string new_password;
};
Validated<PasswordChange> validate_change_password(const boost::json::value* body);
Validated<std::string> validate_password_only(const boost::json::value* body);  // {password}
Validated<std::string> validate_totp_code(const boost::json::value* body);      // {code}
struct MfaDisable {
    std::string password;
    std::string code;
    std::string recovery_code;
};
Validated<MfaDisable> validate_mfa_disable(const boost::json::value* body);

// The path parameter `userId` against the UUID rule of 4.1.
std::optional<ValidationFailure> validate_user_id(std::string_view user_id);

// Single rules, exposed for tests and reuse.
bool is_valid_email(std::string_view email);                // the 4.1 email pattern, ASCII only
bool meets_password_complexity(std::string_view password);  // the 4.1 password pattern (/u)
bool is_valid_uuid(std::string_view text);            // versions 1-8, RFC variant, nil and max
std::string normalize_email(std::string_view email);  // trim + lower-case
bool is_totp_code(std::string_view code);             // six ASCII digits
bool is_recovery_code_format(std::string_view code);  // xxxx-xxxx-xxxx-xxxx (dashes optional)

}  // namespace portcullis::auth
