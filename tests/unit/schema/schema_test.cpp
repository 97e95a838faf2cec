// The schema description: zod-shaped issues from validation and JSON Schema from the same rules,
// so that a rule changed in one place changes both what is enforced and what is documented.
#include "schema/schema.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

namespace portcullis::schema {
namespace {

bool only_digits(std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

ObjectSchema pin_schema() {
    return {{{"pin",
              {{min_length(4), format("regex", "^[0-9]+$", &only_digits, "Digits only")},
               "A numeric PIN.",
               "1234"}}}};
}

std::string issues_of(const ObjectSchema& schema, const std::string& body_json) {
    const auto body = boost::json::parse(body_json);
    const auto issues = validate(schema, &body);
    return issues ? issues->details_json : "";
}

TEST(Schema, ValidInputHasNoIssues) {
    EXPECT_EQ(issues_of(pin_schema(), R"({"pin":"123456","other":1})"), "");
}

TEST(Schema, EveryFailingRuleIsOneIssueInDeclarationOrder) {
    EXPECT_EQ(issues_of(pin_schema(), R"({"pin":"12a"})"),
              R"([{"origin":"string","code":"too_small","minimum":4,"inclusive":true,)"
              R"("path":["pin"],"message":"Too small: expected string to have >=4 characters"},)"
              R"({"origin":"string","code":"invalid_format","format":"regex","pattern":"^[0-9]+$",)"
              R"("path":["pin"],"message":"Digits only"}])");
}

TEST(Schema, MissingFieldsAndNonObjectBodies) {
    EXPECT_EQ(issues_of(pin_schema(), "{}"),
              R"([{"expected":"string","code":"invalid_type","path":["pin"],)"
              R"("message":"Invalid input: expected string, received undefined"}])");
    EXPECT_EQ(issues_of(pin_schema(), "[1]"),
              R"([{"expected":"object","code":"invalid_type","path":[],)"
              R"("message":"Invalid input: expected object, received array"}])");
    const auto none = validate(pin_schema(), nullptr);
    ASSERT_TRUE(none.has_value());
    EXPECT_NE(none->details_json.find("received undefined"), std::string::npos);
}

TEST(Schema, LengthCountsUtf16Units) {
    // Two astral characters are four UTF-16 units: long enough (the digit rule still fails).
    const auto issues = issues_of(pin_schema(), R"({"pin":"😀😀"})");
    EXPECT_EQ(issues.find("too_small"), std::string::npos) << issues;
    EXPECT_NE(issues.find("invalid_format"), std::string::npos) << issues;
}

TEST(Schema, LoneStringIssuesCarryTheFieldPath) {
    const StringSchema id{{format("uuid", "^x$", &only_digits, "Invalid UUID")}, {}, {}};
    EXPECT_FALSE(validate(id, "userId", "123").has_value());
    const auto issues = validate(id, "userId", "abc");
    ASSERT_TRUE(issues.has_value());
    EXPECT_EQ(issues->details_json,
              R"([{"origin":"string","code":"invalid_format","format":"uuid","pattern":"^x$",)"
              R"("path":["userId"],"message":"Invalid UUID"}])");
}

TEST(Schema, RendersAsJsonSchema) {
    EXPECT_EQ(boost::json::serialize(to_json_schema(pin_schema())),
              R"({"type":"object","required":["pin"],"properties":{"pin":{"type":"string",)"
              R"("description":"A numeric PIN.","minLength":4,"pattern":"^[0-9]+$",)"
              R"("examples":["1234"]}}})");
    const StringSchema email{
        {format("email", "^e$", &only_digits, "Invalid email address")}, {}, {}};
    EXPECT_EQ(boost::json::serialize(to_json_schema(email)),
              R"({"type":"string","format":"email","pattern":"^e$"})");
}

TEST(Schema, ASecondPatternGoesToAllOf) {
    const StringSchema two{
        {format("regex", "^a", &only_digits, "m"), format("regex", "b$", &only_digits, "m")},
        {},
        {}};
    EXPECT_EQ(boost::json::serialize(to_json_schema(two)),
              R"({"type":"string","pattern":"^a","allOf":[{"pattern":"b$"}]})");
}

// The point of the module: one edit changes both the enforced and the documented rule.
TEST(Schema, ChangingARuleChangesValidationAndDocumentTogether) {
    auto schema = pin_schema();
    const auto before_doc = boost::json::serialize(to_json_schema(schema));
    EXPECT_EQ(issues_of(schema, R"({"pin":"12345"})"), "");

    schema.properties[0].schema.rules[0] = min_length(6);
    const auto after_doc = boost::json::serialize(to_json_schema(schema));
    EXPECT_NE(before_doc, after_doc);
    EXPECT_NE(after_doc.find(R"("minLength":6)"), std::string::npos) << after_doc;
    EXPECT_NE(issues_of(schema, R"({"pin":"12345"})").find(R"("minimum":6)"), std::string::npos);

    schema.properties.push_back({"name", {{min_length(1)}, {}, {}}});
    const auto with_field = boost::json::serialize(to_json_schema(schema));
    EXPECT_NE(with_field.find(R"("required":["pin","name"])"), std::string::npos) << with_field;
    EXPECT_NE(issues_of(schema, R"({"pin":"123456"})").find(R"("path":["name"])"),
              std::string::npos);
}

}  // namespace
}  // namespace portcullis::schema

namespace portcullis::schema {
namespace {

// Optional properties and "exactly one of" (issue #16: {mfaToken, code | recoveryCode}).
const ObjectSchema& one_of_schema() {
    static const ObjectSchema schema{{{"token", {{min_length(3)}, {}, {}}},
                                      {"a", {{min_length(2)}, {}, {}}, false},
                                      {"b", {{min_length(2)}, {}, {}}, false}},
                                     {"a", "b"}};
    return schema;
}

std::optional<std::string> issues_of(const char* json) {
    const auto body = boost::json::parse(json);
    const auto issues = validate(one_of_schema(), &body);
    if (!issues) return std::nullopt;
    return issues->details_json;
}

TEST(Schema, OptionalPropertiesAreCheckedOnlyWhenPresentAndExactlyOneIsRequired) {
    EXPECT_EQ(issues_of(R"({"token":"xyz","a":"aa"})"), std::nullopt);
    EXPECT_EQ(issues_of(R"({"token":"xyz","b":"bb"})"), std::nullopt);
    EXPECT_EQ(issues_of(R"({"token":"xyz"})"),
              R"([{"code":"custom","path":[],"message":"Provide exactly one of a or b"}])");
    EXPECT_EQ(issues_of(R"({"token":"xyz","a":"aa","b":"bb"})"),
              R"([{"code":"custom","path":[],"message":"Provide exactly one of a or b"}])");
    const auto short_a = issues_of(R"({"token":"xyz","a":"x"})");
    ASSERT_TRUE(short_a.has_value());
    EXPECT_NE(short_a->find(R"("path":["a"])"), std::string::npos);
    const auto typed = issues_of(R"({"token":"xyz","a":7})");
    ASSERT_TRUE(typed.has_value());
    EXPECT_NE(typed->find("expected string, received number"), std::string::npos);
}

TEST(Schema, ExactlyOneOfRendersAsOneOfWithOnlyRequiredPropertiesRequired) {
    const auto json = boost::json::serialize(to_json_schema(one_of_schema()));
    EXPECT_NE(json.find(R"("required":["token"])"), std::string::npos) << json;
    EXPECT_NE(json.find(R"("oneOf":[{"required":["a"]},{"required":["b"]}])"), std::string::npos)
        << json;
}

}  // namespace
}  // namespace portcullis::schema
