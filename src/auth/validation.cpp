// Request validation with zod 4's issue objects (contract 3.2 and 4.1); see validation.hpp.
#include "auth/validation.hpp"

#include <boost/json/value.hpp>
#include <cstdint>
#include <utility>

#include "config/parse.hpp"
#include "observability/json_text.hpp"
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

constexpr std::string_view kComplexityMessage =
    "Password must be at least 8 characters and include lowercase, uppercase, number, and symbol.";

constexpr std::size_t kPasswordMinLength = 8;
constexpr std::size_t kTokenMinLength = 20;

// zod 4's name for a value's type in "received ..." (its parsedType for JSON values).
std::string_view received_type(const boost::json::value* value) {
    if (value == nullptr) return "undefined";
    switch (value->kind()) {
        case boost::json::kind::null:
            return "null";
        case boost::json::kind::bool_:
            return "boolean";
        case boost::json::kind::int64:
        case boost::json::kind::uint64:
        case boost::json::kind::double_:
            return "number";
        case boost::json::kind::string:
            return "string";
        case boost::json::kind::array:
            return "array";
        case boost::json::kind::object:
            return "object";
    }
    return "undefined";
}

// The issue list, built as JSON text in zod's key order (a DOM would not keep the order obvious).
class Issues {
public:
    bool empty() const { return count_ == 0; }

    void invalid_type(std::string_view expected, std::string_view field,
                      const boost::json::value* received) {
        open();
        text_.append("{\"expected\":");
        observability::append_json_string(text_, expected);
        text_.append(",\"code\":\"invalid_type\"");
        path(field);
        std::string message = "Invalid input: expected ";
        message.append(expected).append(", received ").append(received_type(received));
        this->message(message);
    }

    void too_small(std::string_view field, std::size_t minimum, std::string_view message) {
        open();
        text_.append("{\"origin\":\"string\",\"code\":\"too_small\",\"minimum\":");
        observability::append_json_number(text_, static_cast<std::int64_t>(minimum));
        text_.append(",\"inclusive\":true");
        path(field);
        this->message(message);
    }

    void invalid_format(std::string_view field, std::string_view format, std::string_view pattern,
                        std::string_view message) {
        open();
        text_.append("{\"origin\":\"string\",\"code\":\"invalid_format\",\"format\":");
        observability::append_json_string(text_, format);
        text_.append(",\"pattern\":");
        observability::append_json_string(text_, pattern);
        path(field);
        this->message(message);
    }

    ValidationFailure finish() && {
        text_.push_back(']');
        return ValidationFailure{std::move(text_)};
    }

private:
    void open() {
        if (count_++ > 0) text_.push_back(',');
    }
    // An empty field name is the root path `[]`.
    void path(std::string_view field) {
        text_.append(",\"path\":[");
        if (!field.empty()) observability::append_json_string(text_, field);
        text_.push_back(']');
    }
    void message(std::string_view message) {
        text_.append(",\"message\":");
        observability::append_json_string(text_, message);
        text_.push_back('}');
    }

    std::string text_ = "[";
    std::size_t count_ = 0;
};

std::string plain_too_small_message(std::size_t minimum) {
    return "Too small: expected string to have >=" + std::to_string(minimum) + " characters";
}

// The field's string, or nullopt after reporting invalid_type (absent, null, number, ...).
std::optional<std::string> string_field(const boost::json::object& body, std::string_view field,
                                        Issues& issues) {
    const auto* value = body.if_contains(field);
    if (value == nullptr || !value->is_string()) {
        issues.invalid_type("string", field, value);
        return std::nullopt;
    }
    return std::string(value->get_string());
}

std::optional<std::string> check_email(const boost::json::object& body, Issues& issues) {
    auto email = string_field(body, "email", issues);
    if (email && !is_valid_email(*email)) {
        issues.invalid_format("email", "email", kEmailPattern, "Invalid email address");
        return std::nullopt;
    }
    return email;
}

// Register and reset: both checks run and both report (zod does not stop at the first).
std::optional<std::string> check_new_password(const boost::json::object& body, Issues& issues) {
    auto password = string_field(body, "password", issues);
    if (!password) return std::nullopt;
    bool ok = true;
    if (config::utf16_length(*password) < kPasswordMinLength) {
        issues.too_small("password", kPasswordMinLength, kComplexityMessage);
        ok = false;
    }
    if (!meets_password_complexity(*password)) {
        issues.invalid_format("password", "regex", kPasswordPattern, kComplexityMessage);
        ok = false;
    }
    if (!ok) return std::nullopt;
    return password;
}

std::optional<std::string> check_min_length(const boost::json::object& body, std::string_view field,
                                            std::size_t minimum, Issues& issues) {
    auto value = string_field(body, field, issues);
    if (value && config::utf16_length(*value) < minimum) {
        issues.too_small(field, minimum, plain_too_small_message(minimum));
        return std::nullopt;
    }
    return value;
}

// The body as an object, or nullptr after reporting the root-level invalid_type issue.
const boost::json::object* body_object(const boost::json::value* body, Issues& issues) {
    if (body == nullptr || !body->is_object()) {
        issues.invalid_type("object", "", body);
        return nullptr;
    }
    return &body->get_object();
}

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
    return config::is_valid_email(email);
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
    return util::to_lower(config::trim(email));
}

Validated<EmailPassword> validate_register(const boost::json::value* body) {
    Issues issues;
    const auto* object = body_object(body, issues);
    if (object == nullptr) return std::move(issues).finish();
    auto email = check_email(*object, issues);
    auto password = check_new_password(*object, issues);
    if (!issues.empty()) return std::move(issues).finish();
    return EmailPassword{std::move(*email), std::move(*password)};
}

Validated<EmailPassword> validate_login(const boost::json::value* body) {
    Issues issues;
    const auto* object = body_object(body, issues);
    if (object == nullptr) return std::move(issues).finish();
    auto email = check_email(*object, issues);
    auto password = check_min_length(*object, "password", kPasswordMinLength, issues);
    if (!issues.empty()) return std::move(issues).finish();
    return EmailPassword{std::move(*email), std::move(*password)};
}

Validated<std::string> validate_email_only(const boost::json::value* body) {
    Issues issues;
    const auto* object = body_object(body, issues);
    if (object == nullptr) return std::move(issues).finish();
    auto email = check_email(*object, issues);
    if (!issues.empty()) return std::move(issues).finish();
    return std::move(*email);
}

Validated<std::string> validate_token_field(const boost::json::value* body,
                                            std::string_view field) {
    Issues issues;
    const auto* object = body_object(body, issues);
    if (object == nullptr) return std::move(issues).finish();
    auto token = check_min_length(*object, field, kTokenMinLength, issues);
    if (!issues.empty()) return std::move(issues).finish();
    return std::move(*token);
}

Validated<TokenPassword> validate_reset(const boost::json::value* body) {
    Issues issues;
    const auto* object = body_object(body, issues);
    if (object == nullptr) return std::move(issues).finish();
    auto token = check_min_length(*object, "token", kTokenMinLength, issues);
    auto password = check_new_password(*object, issues);
    if (!issues.empty()) return std::move(issues).finish();
    return TokenPassword{std::move(*token), std::move(*password)};
}

std::optional<ValidationFailure> validate_user_id(std::string_view user_id) {
    if (is_valid_uuid(user_id)) return std::nullopt;
    Issues issues;
    issues.invalid_format("userId", "uuid", kUuidPattern, "Invalid UUID");
    return std::move(issues).finish();
}

}  // namespace portcullis::auth
