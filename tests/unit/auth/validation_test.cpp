// Pins request validation: the exact zod 4 issue objects of contract 3.2 (compared as JSON text),
// check order, and the 4.1 rules for e-mails, passwords, token fields and UUIDs.
#include "auth/validation.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <string>

namespace portcullis::auth {
namespace {

// Issue objects exactly as the reference emits them (patterns JSON-escaped).
const std::string kComplexity =
    "Password must be at least 8 characters and include lowercase, uppercase, number, and symbol.";
const std::string kEmailIssue =
    R"({"origin":"string","code":"invalid_format","format":"email","pattern":)"
    R"("^(?!\\.)(?!.*\\.\\.)([A-Za-z0-9_'+\\-\\.]*)[A-Za-z0-9_+-]@)"
    R"(([A-Za-z0-9][A-Za-z0-9\\-]*\\.)+[A-Za-z]{2,}$",)"
    R"("path":["email"],"message":"Invalid email address"})";
const std::string kPasswordTooSmall =
    R"({"origin":"string","code":"too_small","minimum":8,"inclusive":true,"path":["password"],)"
    R"("message":")" +
    kComplexity + R"("})";
const std::string kPasswordRegex =
    R"({"origin":"string","code":"invalid_format","format":"regex",)"
    R"("pattern":"^(?=.*[a-z])(?=.*[A-Z])(?=.*\\d)(?=.*[^A-Za-z0-9]).{8,}$",)"
    R"("path":["password"],"message":")" +
    kComplexity + R"("})";
const std::string kLoginPasswordTooSmall =
    R"({"origin":"string","code":"too_small","minimum":8,"inclusive":true,"path":["password"],)"
    R"("message":"Too small: expected string to have >=8 characters"})";
const std::string kUuidIssue =
    R"({"origin":"string","code":"invalid_format","format":"uuid","pattern":)"
    R"("^([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-8][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12})"
    R"(|00000000-0000-0000-0000-000000000000|ffffffff-ffff-ffff-ffff-ffffffffffff)$",)"
    R"("path":["userId"],"message":"Invalid UUID"})";

std::string root_issue(const std::string& received) {
    return R"({"expected":"object","code":"invalid_type","path":[],)"
           R"("message":"Invalid input: expected object, received )" +
           received + "\"}";
}

std::string type_issue(const std::string& field, const std::string& received) {
    return R"({"expected":"string","code":"invalid_type","path":[")" + field +
           R"("],"message":"Invalid input: expected string, received )" + received + "\"}";
}

std::string token_too_small(const std::string& field) {
    return R"({"origin":"string","code":"too_small","minimum":20,"inclusive":true,"path":[")" +
           field + R"("],"message":"Too small: expected string to have >=20 characters"})";
}

std::string list(std::initializer_list<std::string> issues) {
    std::string out = "[";
    for (const auto& issue : issues) {
        if (out.size() > 1) out.push_back(',');
        out += issue;
    }
    return out + "]";
}

// The details text of a failure, or "" when the value passed.
template <typename T>
std::string details(const Validated<T>& result) {
    if (const auto* failure = std::get_if<ValidationFailure>(&result)) {
        // Whatever we emit must be valid JSON.
        EXPECT_NO_THROW((void)boost::json::parse(failure->details_json)) << failure->details_json;
        return failure->details_json;
    }
    return "";
}

template <typename Fn>
std::string check(Fn validate, const std::string& body_json) {
    const boost::json::value body = boost::json::parse(body_json);
    return details(validate(&body));
}

std::string reg(const std::string& body) {
    return check(validate_register, body);
}
std::string login(const std::string& body) {
    return check(validate_login, body);
}

TEST(AuthValidation, BodyThatIsNotAnObject) {
    EXPECT_EQ(details(validate_register(nullptr)), list({root_issue("undefined")}));
    EXPECT_EQ(reg("null"), list({root_issue("null")}));
    EXPECT_EQ(reg("[]"), list({root_issue("array")}));
    EXPECT_EQ(reg(R"([{"email":"a@b.co"}])"), list({root_issue("array")}));
    EXPECT_EQ(reg(R"("text")"), list({root_issue("string")}));
    EXPECT_EQ(reg("12"), list({root_issue("number")}));
    EXPECT_EQ(reg("1.5"), list({root_issue("number")}));
    EXPECT_EQ(reg("true"), list({root_issue("boolean")}));
    for (const auto& body : {std::string("null"), std::string("[]")}) {
        EXPECT_NE(check(validate_login, body), "");
        EXPECT_NE(check(validate_email_only, body), "");
        EXPECT_NE(check(validate_reset, body), "");
        EXPECT_NE(
            check([](const boost::json::value* b) { return validate_token_field(b, "token"); },
                  body),
            "");
    }
    EXPECT_EQ(details(validate_login(nullptr)), list({root_issue("undefined")}));
    EXPECT_EQ(details(validate_email_only(nullptr)), list({root_issue("undefined")}));
    EXPECT_EQ(details(validate_token_field(nullptr, "refreshToken")),
              list({root_issue("undefined")}));
    EXPECT_EQ(details(validate_reset(nullptr)), list({root_issue("undefined")}));
}

TEST(AuthValidation, MissingAndWrongTypeFields) {
    EXPECT_EQ(reg("{}"),
              list({type_issue("email", "undefined"), type_issue("password", "undefined")}));
    EXPECT_EQ(reg(R"({"email":null,"password":12345678})"),
              list({type_issue("email", "null"), type_issue("password", "number")}));
    EXPECT_EQ(reg(R"({"email":["a@b.co"],"password":{"x":1}})"),
              list({type_issue("email", "array"), type_issue("password", "object")}));
    EXPECT_EQ(reg(R"({"email":true,"password":"Password1!"})"),
              list({type_issue("email", "boolean")}));
    // Wrong type reports only invalid_type, never the string checks as well.
    EXPECT_EQ(login(R"({"email":"a@b.co"})"), list({type_issue("password", "undefined")}));
    EXPECT_EQ(login(R"({"email":"a@b.co","password":-1.5})"),
              list({type_issue("password", "number")}));
}

TEST(AuthValidation, RegisterPasswordIssues) {
    // Five characters: both the too_small and the regex issue, in that order.
    EXPECT_EQ(reg(R"({"email":"a@b.co","password":"aB1!x"})"),
              list({kPasswordTooSmall, kPasswordRegex}));
    EXPECT_EQ(reg(R"({"email":"a@b.co","password":""})"),
              list({kPasswordTooSmall, kPasswordRegex}));
    // Long enough but not complex: only the regex issue.
    EXPECT_EQ(reg(R"({"email":"a@b.co","password":"password"})"), list({kPasswordRegex}));
    EXPECT_EQ(reg(R"({"email":"a@b.co","password":"PASSWORD1!"})"), list({kPasswordRegex}));
    EXPECT_EQ(reg(R"({"email":"a@b.co","password":"Password!!"})"), list({kPasswordRegex}));
    EXPECT_EQ(reg(R"({"email":"a@b.co","password":"Password11"})"), list({kPasswordRegex}));
    // Email first, then password; a bad email yields only the email issue.
    EXPECT_EQ(reg(R"({"email":"nope","password":"aB1!x"})"),
              list({kEmailIssue, kPasswordTooSmall, kPasswordRegex}));
    EXPECT_EQ(reg(R"({"password":"aB1!x","email":"nope"})"),
              list({kEmailIssue, kPasswordTooSmall, kPasswordRegex}));
    EXPECT_EQ(reg(R"({"email":"nope","password":"Password1!"})"), list({kEmailIssue}));
}

TEST(AuthValidation, RegisterSuccessKeepsTheRawValues) {
    const boost::json::value body = boost::json::parse(R"({"email":"Alice.Smith+tag@Example.COM",)"
                                                       R"("password":"Password1!","role":"ADMIN",)"
                                                       R"("extra":[1]})");
    const auto result = validate_register(&body);
    ASSERT_TRUE(std::holds_alternative<EmailPassword>(result)) << details(result);
    EXPECT_EQ(std::get<EmailPassword>(result).email, "Alice.Smith+tag@Example.COM");
    EXPECT_EQ(std::get<EmailPassword>(result).password, "Password1!");
    EXPECT_EQ(normalize_email(std::get<EmailPassword>(result).email),
              "alice.smith+tag@example.com");
}

TEST(AuthValidation, LoginHasNoComplexityRule) {
    EXPECT_EQ(login(R"({"email":"a@b.co","password":"12345678"})"), "");
    EXPECT_EQ(login(R"({"email":"a@b.co","password":"short"})"), list({kLoginPasswordTooSmall}));
    EXPECT_EQ(login(R"({"email":"bad@","password":"short"})"),
              list({kEmailIssue, kLoginPasswordTooSmall}));
    const boost::json::value body =
        boost::json::parse(R"({"email":"x@y.io","password":"whatever!"})");
    const auto result = validate_login(&body);
    ASSERT_TRUE(std::holds_alternative<EmailPassword>(result));
    EXPECT_EQ(std::get<EmailPassword>(result).password, "whatever!");
}

TEST(AuthValidation, EmailOnly) {
    EXPECT_EQ(check(validate_email_only, R"({"email":"a@b.co"})"), "");
    EXPECT_EQ(check(validate_email_only, R"({})"), list({type_issue("email", "undefined")}));
    EXPECT_EQ(check(validate_email_only, R"({"email":"a@b"})"), list({kEmailIssue}));
    const boost::json::value body = boost::json::parse(R"({"email":"Me@Host.org"})");
    const auto result = validate_email_only(&body);
    ASSERT_TRUE(std::holds_alternative<std::string>(result));
    EXPECT_EQ(std::get<std::string>(result), "Me@Host.org");
}

TEST(AuthValidation, TokenFields) {
    const auto refresh = [](const boost::json::value* b) {
        return validate_token_field(b, "refreshToken");
    };
    EXPECT_EQ(check(refresh, "{}"), list({type_issue("refreshToken", "undefined")}));
    EXPECT_EQ(check(refresh, R"({"refreshToken":12345678901234567890123})"),
              list({type_issue("refreshToken", "number")}));
    EXPECT_EQ(check(refresh, R"({"refreshToken":"short"})"),
              list({token_too_small("refreshToken")}));
    EXPECT_EQ(check(refresh, R"({"refreshToken":"1234567890123456789"})"),
              list({token_too_small("refreshToken")}));
    EXPECT_EQ(check(refresh, R"({"refreshToken":"12345678901234567890"})"), "");
    // UTF-16 units: ten emoji are twenty units; nine plus one letter are nineteen.
    const std::string emoji = "\xf0\x9f\x98\x80";
    std::string ten;
    for (int i = 0; i < 10; ++i) ten += emoji;
    EXPECT_EQ(check(refresh, "{\"refreshToken\":\"" + ten + "\"}"), "");
    EXPECT_EQ(check(refresh, "{\"refreshToken\":\"" + ten.substr(4) + "a\"}"),
              list({token_too_small("refreshToken")}));
    const boost::json::value body = boost::json::parse(R"({"token":"abcdefghijklmnopqrstuvwxyz"})");
    const auto result = validate_token_field(&body, "token");
    ASSERT_TRUE(std::holds_alternative<std::string>(result));
    EXPECT_EQ(std::get<std::string>(result), "abcdefghijklmnopqrstuvwxyz");
}

TEST(AuthValidation, ResetChecksTokenThenPassword) {
    EXPECT_EQ(check(validate_reset, "{}"),
              list({type_issue("token", "undefined"), type_issue("password", "undefined")}));
    EXPECT_EQ(check(validate_reset, R"({"password":"aB1!x","token":"short"})"),
              list({token_too_small("token"), kPasswordTooSmall, kPasswordRegex}));
    EXPECT_EQ(check(validate_reset,
                    R"({"token":"abcdefghijklmnopqrstuvwxyz","password":"weakpassword"})"),
              list({kPasswordRegex}));
    const boost::json::value body =
        boost::json::parse(R"({"token":"abcdefghijklmnopqrstuvwxyz","password":"NewPassw0rd!"})");
    const auto result = validate_reset(&body);
    ASSERT_TRUE(std::holds_alternative<TokenPassword>(result)) << details(result);
    EXPECT_EQ(std::get<TokenPassword>(result).token, "abcdefghijklmnopqrstuvwxyz");
    EXPECT_EQ(std::get<TokenPassword>(result).password, "NewPassw0rd!");
}

TEST(AuthValidation, UserIdParameter) {
    const auto failure = validate_user_id("not-a-uuid");
    ASSERT_TRUE(failure.has_value());
    EXPECT_EQ(failure->details_json, list({kUuidIssue}));
    EXPECT_FALSE(validate_user_id("3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f").has_value());
    EXPECT_TRUE(validate_user_id("").has_value());
}

TEST(AuthValidation, UuidRule) {
    EXPECT_TRUE(is_valid_uuid("3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f"));
    EXPECT_TRUE(is_valid_uuid("3F1C2D4E-5B6A-4C7D-8E9F-0A1B2C3D4E5F"));
    EXPECT_TRUE(is_valid_uuid("00000000-0000-0000-0000-000000000000"));
    EXPECT_TRUE(is_valid_uuid("ffffffff-ffff-ffff-ffff-ffffffffffff"));
    EXPECT_TRUE(is_valid_uuid("3f1c2d4e-5b6a-1c7d-Ae9f-0a1b2c3d4e5f"));  // v1, variant A
    EXPECT_TRUE(is_valid_uuid("3f1c2d4e-5b6a-8c7d-be9f-0a1b2c3d4e5f"));  // v8, variant b
    EXPECT_TRUE(is_valid_uuid("3f1c2d4e-5b6a-7c7d-9e9f-0a1b2c3d4e5f"));  // v7
    // The max UUID is only matched in lower case (its version digit `F` is outside 1-8).
    EXPECT_FALSE(is_valid_uuid("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF"));
    EXPECT_FALSE(is_valid_uuid("3f1c2d4e-5b6a-9c7d-8e9f-0a1b2c3d4e5f"));  // version 9
    EXPECT_FALSE(is_valid_uuid("3f1c2d4e-5b6a-0c7d-8e9f-0a1b2c3d4e5f"));  // version 0
    EXPECT_FALSE(is_valid_uuid("3f1c2d4e-5b6a-4c7d-ce9f-0a1b2c3d4e5f"));  // variant c
    EXPECT_FALSE(is_valid_uuid("3f1c2d4e-5b6a-4c7d-7e9f-0a1b2c3d4e5f"));  // variant 7
    EXPECT_FALSE(is_valid_uuid("00000000-0000-0000-0000-000000000001"));
    EXPECT_FALSE(is_valid_uuid("3f1c2d4e5b6a4c7d8e9f0a1b2c3d4e5f"));
    EXPECT_FALSE(is_valid_uuid("{3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f}"));
    EXPECT_FALSE(is_valid_uuid("3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5"));
    EXPECT_FALSE(is_valid_uuid("3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f0"));
    EXPECT_FALSE(is_valid_uuid("3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f\n"));
    EXPECT_FALSE(is_valid_uuid(" 3f1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f"));
    EXPECT_FALSE(is_valid_uuid("3g1c2d4e-5b6a-4c7d-8e9f-0a1b2c3d4e5f"));
    EXPECT_FALSE(is_valid_uuid("3f1c2d4e_5b6a-4c7d-8e9f-0a1b2c3d4e5f"));
    EXPECT_FALSE(is_valid_uuid(""));
}

TEST(AuthValidation, EmailRule) {
    for (const char* ok : {
             "a@b.co",
             "alice@example.com",
             "Alice.Smith@Example.COM",
             "a+b@c.co",
             "a'b@c.co",
             "a-@b.co",
             "a_@b.co",
             "_@b.co",
             "a.b.c@d.co",
             "a@b-.co",
             "a@b-c.d-e.museum",
             "1@2.io",
             "a@b.co.uk",
             "a@B.CO",
         }) {
        EXPECT_TRUE(is_valid_email(ok)) << ok;
        EXPECT_EQ(check(validate_email_only, std::string(R"({"email":")") + ok + "\"}"), "") << ok;
    }
    for (const char* bad : {
             "",          "plain",         "@b.co",          "a@",
             "a@b",       ".a@b.co",       "a..b@c.co",      "a.@b.co",
             "a'@b.co",   "a@b.c",         "a@b.c0",         "a@b.c-",
             "a@-b.co",   "a@.b.co",       "a@b..co",        "a@b.co.",
             "a@@b.co",   "a b@c.co",      " a@b.co",        "a@b.co ",
             "a@b.co\n",  "\xc3\xa4@b.co", "a@b\xc3\xa4.co", "a@b.c\xc3\xb6",
             "a\"b@c.co", "a@b_c.co",      "a@[1.2.3.4]",    "a(b)@c.co",
             "a@b.123",
         }) {
        EXPECT_FALSE(is_valid_email(bad)) << bad;
    }
    const boost::json::value body = boost::json::parse(R"({"email":" a@b.co"})");
    EXPECT_EQ(details(validate_email_only(&body)), list({kEmailIssue}));
}

TEST(AuthValidation, NormalizeEmail) {
    EXPECT_EQ(normalize_email("  Foo.Bar@Example.COM\t"), "foo.bar@example.com");
    EXPECT_EQ(normalize_email("a@b.co"), "a@b.co");
}

TEST(AuthValidation, PasswordComplexityRule) {
    EXPECT_TRUE(meets_password_complexity("Password1!"));
    EXPECT_TRUE(meets_password_complexity("Aa1!aaaa"));
    EXPECT_FALSE(meets_password_complexity("Aa1!aaa"));
    // Space and non-ASCII letters count as symbols, not as letters.
    EXPECT_TRUE(meets_password_complexity("Password 1"));
    EXPECT_TRUE(meets_password_complexity("P\xc3\xa4ssword1"));  // Pässword1
    EXPECT_FALSE(
        meets_password_complexity("\xc3\x84\xc3\xa4ssword1!"));    // Ässword1!: no ASCII upper
    EXPECT_FALSE(meets_password_complexity("PASSW\xc3\x96RD1!"));  // no ASCII lower
    EXPECT_FALSE(meets_password_complexity("Password\xd9\xa3!"));  // Arabic-Indic digit is no \d
    // Line terminators anywhere fail the whole pattern.
    EXPECT_FALSE(meets_password_complexity("Password1!\n"));
    EXPECT_FALSE(meets_password_complexity("\nPassword1!"));
    EXPECT_FALSE(meets_password_complexity("Pass\rword1!"));
    EXPECT_FALSE(meets_password_complexity("Pass\xe2\x80\xa8word1!"));  // U+2028
    EXPECT_FALSE(meets_password_complexity("Pass\xe2\x80\xa9word1!"));  // U+2029
    // Other control characters and NUL are ordinary symbols.
    EXPECT_TRUE(meets_password_complexity("Password1\t"));
    EXPECT_TRUE(meets_password_complexity(std::string("Password1\0", 10)));
    EXPECT_TRUE(meets_password_complexity("Pass\xc2\x85word1"));  // U+0085 is no JS terminator
}

TEST(AuthValidation, PasswordLengthsInUtf16UnitsAndCodePoints) {
    const std::string emoji = "\xf0\x9f\x98\x80";  // one code point, two UTF-16 units
    const auto password_issues = [](const std::string& password) {
        boost::json::object body;
        body["email"] = "a@b.co";
        body["password"] = password;
        const boost::json::value value(std::move(body));
        return details(validate_register(&value));
    };
    // Eight UTF-16 units (min length passes) but six code points (`.{8,}` with /u fails).
    EXPECT_EQ(password_issues("Aa1!" + emoji + emoji), list({kPasswordRegex}));
    EXPECT_EQ(password_issues("Aa1!" + emoji + emoji + emoji + emoji), "");
    // Seven units and code points: both fail.
    EXPECT_EQ(password_issues("Aa1!\xc3\xa9\xc3\xa9\xc3\xa9"),
              list({kPasswordTooSmall, kPasswordRegex}));
    EXPECT_EQ(password_issues("Aa1!\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"), "");
    // Seven ASCII characters plus a line terminator: length passes, the pattern does not.
    EXPECT_EQ(password_issues("Aa1!aaaa\n"), list({kPasswordRegex}));
    EXPECT_EQ(password_issues("Aa1!aa\n"), list({kPasswordTooSmall, kPasswordRegex}));
    // Login counts UTF-16 units too.
    const auto login_issues = [](const std::string& password) {
        boost::json::object body;
        body["email"] = "a@b.co";
        body["password"] = password;
        const boost::json::value value(std::move(body));
        return details(validate_login(&value));
    };
    EXPECT_EQ(login_issues("abc" + emoji + emoji + "d"), "");                             // 8 units
    EXPECT_EQ(login_issues("ab" + emoji + emoji + "d"), list({kLoginPasswordTooSmall}));  // 7
}

TEST(AuthValidation, EscapesFieldValuesNowhere) {
    // Issues never echo the received value, only its type: nothing secret lands in `details`.
    const std::string text = reg(R"({"email":"secret\"@x","password":"S3cret!"})");
    EXPECT_EQ(text.find("S3cret"), std::string::npos);
    EXPECT_EQ(text.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace portcullis::auth
