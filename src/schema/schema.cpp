// See schema.hpp. Issues are built as JSON text in zod's key order (a DOM would hide the order).
#include "schema/schema.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include "util/js_text.hpp"
#include "util/json_text.hpp"

namespace portcullis::schema {
namespace {

using util::append_json_string;

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

class IssueList {
public:
    bool empty() const { return count_ == 0; }

    void invalid_type(std::string_view expected, std::string_view field,
                      const boost::json::value* received) {
        open();
        text_.append("{\"expected\":");
        append_json_string(text_, expected);
        text_.append(",\"code\":\"invalid_type\"");
        path(field);
        std::string message = "Invalid input: expected ";
        message.append(expected).append(", received ").append(received_type(received));
        this->message(message);
    }

    void too_small(std::string_view field, std::size_t minimum, std::string_view message) {
        open();
        text_.append("{\"origin\":\"string\",\"code\":\"too_small\",\"minimum\":");
        util::append_json_number(text_, static_cast<std::int64_t>(minimum));
        text_.append(",\"inclusive\":true");
        path(field);
        this->message(message);
    }

    void invalid_format(std::string_view field, std::string_view format, std::string_view pattern,
                        std::string_view message) {
        open();
        text_.append("{\"origin\":\"string\",\"code\":\"invalid_format\",\"format\":");
        append_json_string(text_, format);
        text_.append(",\"pattern\":");
        append_json_string(text_, pattern);
        path(field);
        this->message(message);
    }

    // zod's issue of a refinement (`.refine()` / `.superRefine()`) on the object.
    void custom(std::string_view message) {
        open();
        text_.append("{\"code\":\"custom\"");
        path({});
        this->message(message);
    }

    Issues finish() && {
        text_.push_back(']');
        return Issues{std::move(text_)};
    }

private:
    void open() {
        if (count_++ > 0) text_.push_back(',');
    }
    // An empty field name is the root path `[]`.
    void path(std::string_view field) {
        text_.append(",\"path\":[");
        if (!field.empty()) append_json_string(text_, field);
        text_.push_back(']');
    }
    void message(std::string_view message) {
        text_.append(",\"message\":");
        append_json_string(text_, message);
        text_.push_back('}');
    }

    std::string text_ = "[";
    std::size_t count_ = 0;
};

// zod runs every check of a string and reports each failure (a short, weak password yields both
// `too_small` and `invalid_format`).
void check_string(const StringSchema& schema, std::string_view field, std::string_view value,
                  IssueList& issues) {
    for (const auto& rule : schema.rules) {
        if (rule.kind == StringRule::Kind::min_length) {
            if (util::utf16_length(value) >= rule.minimum) continue;
            issues.too_small(field, rule.minimum,
                             rule.message.empty() ? "Too small: expected string to have >=" +
                                                        std::to_string(rule.minimum) + " characters"
                                                  : rule.message);
        } else if (!rule.matches(value)) {
            issues.invalid_format(field, rule.format, rule.pattern, rule.message);
        }
    }
}

}  // namespace

StringRule min_length(std::size_t minimum, std::string message) {
    StringRule rule;
    rule.kind = StringRule::Kind::min_length;
    rule.minimum = minimum;
    rule.message = std::move(message);
    return rule;
}

StringRule format(std::string format, std::string pattern, Matcher matches, std::string message) {
    if (matches == nullptr) throw std::invalid_argument("schema::format needs a matcher");
    StringRule rule;
    rule.kind = StringRule::Kind::format;
    rule.format = std::move(format);
    rule.pattern = std::move(pattern);
    rule.matches = matches;
    rule.message = std::move(message);
    return rule;
}

std::optional<Issues> validate(const ObjectSchema& schema, const boost::json::value* body) {
    IssueList issues;
    if (body == nullptr || !body->is_object()) {
        issues.invalid_type("object", "", body);
        return std::move(issues).finish();
    }
    const auto& object = body->get_object();
    for (const auto& property : schema.properties) {
        const auto* value = object.if_contains(property.name);
        if (value == nullptr && !property.required) continue;
        if (value == nullptr || !value->is_string()) {
            issues.invalid_type("string", property.name, value);
            continue;
        }
        check_string(property.schema, property.name, value->get_string(), issues);
    }
    if (!schema.exactly_one_of.empty()) {
        std::size_t present = 0;
        std::string names;
        for (const auto& name : schema.exactly_one_of) {
            if (object.contains(name)) ++present;
            names += (names.empty() ? "" : " or ") + name;
        }
        if (present != 1) issues.custom("Provide exactly one of " + names);
    }
    if (issues.empty()) return std::nullopt;
    return std::move(issues).finish();
}

std::optional<Issues> validate(const StringSchema& schema, std::string_view field,
                               std::string_view value) {
    IssueList issues;
    check_string(schema, field, value, issues);
    if (issues.empty()) return std::nullopt;
    return std::move(issues).finish();
}

boost::json::object to_json_schema(const StringSchema& schema) {
    boost::json::object out;
    out["type"] = "string";
    if (!schema.description.empty()) out["description"] = schema.description;
    for (const auto& rule : schema.rules) {
        if (rule.kind == StringRule::Kind::min_length) {
            // Two minimums mean the larger one.
            const auto* existing = out.if_contains("minLength");
            if (existing == nullptr || existing->as_uint64() < rule.minimum) {
                out["minLength"] = static_cast<std::uint64_t>(rule.minimum);
            }
            continue;
        }
        if (rule.format != "regex") out["format"] = rule.format;
        // JSON Schema has one `pattern` per schema; further ones go to `allOf`.
        if (!out.contains("pattern")) {
            out["pattern"] = rule.pattern;
        } else {
            auto& all_of = out["allOf"];
            if (!all_of.is_array()) all_of.emplace_array();
            all_of.as_array().push_back(boost::json::object{{"pattern", rule.pattern}});
        }
    }
    if (!schema.example.empty()) out["examples"] = boost::json::array{schema.example};
    return out;
}

boost::json::object to_json_schema(const ObjectSchema& schema) {
    boost::json::object out;
    out["type"] = "object";
    boost::json::array required;
    boost::json::object properties;
    for (const auto& property : schema.properties) {
        if (property.required) required.push_back(boost::json::string(property.name));
        properties[property.name] = to_json_schema(property.schema);
    }
    out["required"] = std::move(required);
    out["properties"] = std::move(properties);
    if (!schema.exactly_one_of.empty()) {
        boost::json::array one_of;
        for (const auto& name : schema.exactly_one_of) {
            one_of.push_back(
                boost::json::object{{"required", boost::json::array{boost::json::string(name)}}});
        }
        out["oneOf"] = std::move(one_of);
    }
    return out;
}

}  // namespace portcullis::schema
