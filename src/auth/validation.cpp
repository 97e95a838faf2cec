// Request validation with zod 4's issue objects (contract 3.2 and 4.1); see validation.hpp.
#include "auth/validation.hpp"

#include <boost/json/value.hpp>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include "util/js_text.hpp"
#include "util/strings.hpp"

namespace portcullis::auth {

namespace {

// The regular expressions' source texts, echoed in `pattern` exactly as zod reports them.
constexpr std::string_view kEmailPattern =
    R"(^(?!\.)(?!.*\.\.)([A-Za-z0-9_'+\-\.]*)[A-Za-z0-9_+-]@)"
    R"(([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$)";
// Without the reference's stray trailing `/u` (contract 15 note).
constexpr std::string_view kPasswordPattern =
    R"(^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)(?=.*[^A-Za-z0-9]).{8,}$)";
constexpr std::string_view kUuidPattern =
    R"(^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12})"
    R"(|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$)";

constexpr std::string_view kTotpCodePattern = R"(^[0-9]{6}$)";
constexpr std::string_view kRecoveryCodePattern =
    R"(^[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}$)";

constexpr std::string_view kComplexityMessage =
    "Password must be at least 8 characters and include lowercase, uppercase, number, and symbol.";

constexpr std::size_t kPasswordMinLength = 8;
constexpr std::size_t kTokenMinLength = 20;

schema::StringSchema email_field() {
    return {{schema::format("email", std::string(kEmailPattern), &is_valid_email,
                            "Invalid email address")},
            "An ASCII e-mail address; stored trimmed and lower-cased.",
            "user@example.com"};
}

// Register and reset: both rules report with the one complexity message (contract 4.1).
schema::StringSchema new_password_field() {
    return {{schema::min_length(kPasswordMinLength, std::string(kComplexityMessage)),
             schema::format("regex", std::string(kPasswordPattern), &meets_password_complexity,
                            std::string(kComplexityMessage))},
            "At least 8 characters with a lowercase and an uppercase ASCII letter, a digit and a "
            "symbol.",
            "Str0ng!Passw0rd"};
}

schema::StringSchema token_field(std::string description) {
    return {{schema::min_length(kTokenMinLength)}, std::move(description), {}};
}

std::string string_at(const boost::json::value& body, std::string_view field) {
    return std::string(body.get_object().at(field).get_string());
}

// An optional property: empty when absent.
std::string optional_string_at(const boost::json::value& body, std::string_view field) {
    const auto* value = body.get_object().if_contains(field);
    return value == nullptr ? std::string() : std::string(value->get_string());
}

schema::StringSchema totp_code_field() {
    return {{schema::format("regex", std::string(kTotpCodePattern), &is_totp_code,
                            "Invalid code: expected 6 digits")},
            "The current 6-digit code of the authenticator app.",
            "123456"};
}

schema::StringSchema recovery_code_field() {
    return {{schema::format("regex", std::string(kRecoveryCodePattern), &is_recovery_code_format,
                            "Invalid recovery code")},
            "One of the account's unused recovery codes (single use).",
            "4k7m-9q2x-hw3c-ta8p"};
}

schema::StringSchema current_password_field(std::string description) {
    return {{schema::min_length(kPasswordMinLength)}, std::move(description), {}};
}

}  // namespace

const schema::ObjectSchema& register_schema() {
    static const schema::ObjectSchema schema{
        {{"email", email_field()}, {"password", new_password_field()}}};
    return schema;
}

const schema::ObjectSchema& login_schema() {
    static const schema::ObjectSchema schema{
        {{"email", email_field()},
         {"password", {{schema::min_length(kPasswordMinLength)}, {}, "Str0ng!Passw0rd"}}}};
    return schema;
}

const schema::ObjectSchema& email_schema() {
    static const schema::ObjectSchema schema{{{"email", email_field()}}};
    return schema;
}

const schema::ObjectSchema& refresh_token_schema() {
    static const schema::ObjectSchema schema{
        {{"refreshToken", token_field("The refresh token of the session.")}}};
    return schema;
}

const schema::ObjectSchema& token_schema() {
    static const schema::ObjectSchema schema{
        {{"token", token_field("The one-time token from the e-mail.")}}};
    return schema;
}

const schema::ObjectSchema& reset_password_schema() {
    static const schema::ObjectSchema schema{
        {{"token", token_field("The one-time token from the e-mail.")},
         {"password", new_password_field()}}};
    return schema;
}

const schema::StringSchema& user_id_schema() {
    static const schema::StringSchema schema{
        {schema::format("uuid", std::string(kUuidPattern), &is_valid_uuid, "Invalid UUID")},
        "The user's id (a UUID).",
        {}};
    return schema;
}

const schema::ObjectSchema& login_mfa_schema() {
    static const schema::ObjectSchema schema{
        {{"mfaToken", token_field("The mfaToken of the 401 MFA_REQUIRED answer to the login.")},
         {"code", totp_code_field(), false},
         {"recoveryCode", recovery_code_field(), false}},
        {"code", "recoveryCode"}};
    return schema;
}

const schema::ObjectSchema& change_password_schema() {
    static const schema::ObjectSchema schema{
        {{"currentPassword", current_password_field("The account's current password.")},
         {"newPassword", new_password_field()}}};
    return schema;
}

const schema::ObjectSchema& password_schema() {
    static const schema::ObjectSchema schema{
        {{"password", current_password_field("The account's password (re-authentication).")}}};
    return schema;
}

const schema::ObjectSchema& totp_code_schema() {
    static const schema::ObjectSchema schema{{{"code", totp_code_field()}}};
    return schema;
}

const schema::ObjectSchema& mfa_disable_schema() {
    static const schema::ObjectSchema schema{
        {{"password", current_password_field("The account's password (re-authentication).")},
         {"code", totp_code_field(), false},
         {"recoveryCode", recovery_code_field(), false}},
        {"code", "recoveryCode"}};
    return schema;
}

namespace {

// One decoded code point of `text` at `i` (advancing `i`); an invalid byte counts as one.
std::uint32_t next_code_point(std::string_view text, std::size_t& i) {
    const auto lead = static_cast<unsigned char>(text[i]);
    if (lead < 0x80) {
        ++i;
        return lead;
    }
    const std::size_t length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
    bool well_formed = lead >= 0xc2 && lead <= 0xf4 && i + length <= text.size();
    std::uint32_t cp = lead & (length == 2 ? 0x1fU : length == 3 ? 0x0fU : 0x07U);
    for (std::size_t k = 1; well_formed && k < length; ++k) {
        const auto b = static_cast<unsigned char>(text[i + k]);
        well_formed = (b & 0xc0U) == 0x80;
        cp = (cp << 6) | (b & 0x3fU);
    }
    if (!well_formed) {
        ++i;
        return 0xfffd;
    }
    i += length;
    return cp;
}

}  // namespace

bool is_valid_email(std::string_view email) {
    return util::is_valid_email(email);
}

bool meets_password_complexity(std::string_view password) {
    bool lower = false;
    bool upper = false;
    bool digit = false;
    bool symbol = false;
    std::size_t code_points = 0;
    std::size_t i = 0;
    while (i < password.size()) {
        const std::uint32_t cp = next_code_point(password, i);
        // `.` and the `.*` lookaheads stop at line terminators and `$` is the end of input, so
        // any terminator anywhere fails the whole pattern.
        if (cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029) return false;
        ++code_points;
        if (cp >= 'a' && cp <= 'z') {
            lower = true;
        } else if (cp >= 'A' && cp <= 'Z') {
            upper = true;
        } else if (cp >= '0' && cp <= '9') {
            digit = true;
        } else {
            symbol = true;  // space and non-ASCII letters included: `[^A-Za-z0-9]`
        }
    }
    return lower && upper && digit && symbol && code_points >= kPasswordMinLength;
}

bool is_valid_uuid(std::string_view text) {
    if (text == "00000000-0000-0000-0000-000000000000" ||
        text == "ffffffff-ffff-ffff-ffff-ffffffffffff") {
        return true;
    }
    if (text.size() != 36) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
            continue;
        }
        const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex) return false;
    }
    const char version = text[14];
    const char variant = text[19];
    return version >= '1' && version <= '8' &&
           (variant == '8' || variant == '9' || variant == 'a' || variant == 'b' ||
            variant == 'A' || variant == 'B');
}

std::string normalize_email(std::string_view email) {
    return util::to_lower(util::trim_js(email));
}

bool is_totp_code(std::string_view code) {
    if (code.size() != 6) return false;
    for (const char c : code) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

bool is_recovery_code_format(std::string_view code) {
    std::size_t symbols = 0;
    for (std::size_t i = 0; i < code.size(); ++i) {
        const char c = code[i];
        const bool alnum =
            (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (alnum) {
            ++symbols;
            continue;
        }
        // A dash only between groups of four.
        if (c != '-' || symbols == 0 || symbols % 4 != 0 || symbols == 16 || code[i - 1] == '-') {
            return false;
        }
    }
    return symbols == 16;
}

Validated<MfaAnswer> validate_login_mfa(const boost::json::value* body) {
    if (auto issues = schema::validate(login_mfa_schema(), body)) {
        return ValidationFailure{std::move(issues->details_json)};
    }
    return MfaAnswer{string_at(*body, "mfaToken"), optional_string_at(*body, "code"),
                     optional_string_at(*body, "recoveryCode")};
}

Validated<PasswordChange> validate_change_password(const boost::json::value* body) {
    if (auto issues = schema::validate(change_password_schema(), body)) {
        return ValidationFailure{std::move(issues->details_json)};
    }
    return PasswordChange{string_at(*body, "currentPassword"), string_at(*body, "newPassword")};
}

Validated<std::string> validate_password_only(const boost::json::value* body) {
    if (auto issues = schema::validate(password_schema(), body)) {
        return ValidationFailure{std::move(issues->details_json)};
    }
    return string_at(*body, "password");
}

Validated<std::string> validate_totp_code(const boost::json::value* body) {
    if (auto issues = schema::validate(totp_code_schema(), body)) {
        return ValidationFailure{std::move(issues->details_json)};
    }
    return string_at(*body, "code");
}

Validated<MfaDisable> validate_mfa_disable(const boost::json::value* body) {
    if (auto issues = schema::validate(mfa_disable_schema(), body)) {
        return ValidationFailure{std::move(issues->details_json)};
    }
    return MfaDisable{string_at(*body, "password"), optional_string_at(*body, "code"),
                      optional_string_at(*body, "recoveryCode")};
}

Validated<EmailPassword> validate_register(const boost::json::value* body) {
    if (auto issues = schema::validate(register_schema(), body)) {
        return ValidationFailure{std::move(issues->details_json)};
    }
    return EmailPassword{string_at(*body, "email"), string_at(*body, "password")};
}

Validated<EmailPassword> validate_login(const boost::json::value* body) {
    if (auto issues = schema::validate(login_schema(), body)) {
        return ValidationFailure{std::move(issues->details_json)};
    }
    return EmailPassword{string_at(*body, "email"), string_at(*body, "password")};
}

Validated<std::string> validate_email_only(const boost::json::value* body) {
    if (auto issues = schema::validate(email_schema(), body)) {
        return ValidationFailure{std::move(issues->details_json)};
    }
    return string_at(*body, "email");
}

Validated<std::string> validate_token_field(const boost::json::value* body,
                                            std::string_view field) {
    const schema::ObjectSchema* schema = nullptr;
    if (field == "refreshToken") {
        schema = &refresh_token_schema();
    } else if (field == "token") {
        schema = &token_schema();
    } else {
        throw std::invalid_argument("no token schema for field " + std::string(field));
    }
    if (auto issues = schema::validate(*schema, body)) {
        return ValidationFailure{std::move(issues->details_json)};
    }
    return string_at(*body, field);
}

Validated<TokenPassword> validate_reset(const boost::json::value* body) {
    if (auto issues = schema::validate(reset_password_schema(), body)) {
        return ValidationFailure{std::move(issues->details_json)};
    }
    return TokenPassword{string_at(*body, "token"), string_at(*body, "password")};
}

std::optional<ValidationFailure> validate_user_id(std::string_view user_id) {
    if (auto issues = schema::validate(user_id_schema(), "userId", user_id)) {
        return ValidationFailure{std::move(issues->details_json)};
    }
    return std::nullopt;
}

}  // namespace portcullis::auth
