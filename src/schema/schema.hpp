// Request schemas described once (contract 4.1): the same description validates a parsed JSON
// body, reporting zod 4's issue objects (contract 3.2), and renders as JSON Schema for the OpenAPI
// document (contract 15), so a rule a route enforces is always the rule it documents.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/fwd.hpp>

namespace portcullis::schema {

// Implements a `pattern` (hand-written matchers keep JavaScript's regex semantics exactly).
using Matcher = bool (*)(std::string_view);

// One rule on a string, checked in declaration order; every failing rule is one issue.
struct StringRule {
    enum class Kind { min_length, format };
    Kind kind = Kind::min_length;
    std::size_t minimum = 0;  // min_length: UTF-16 code units, as JavaScript counts
    std::string format;       // format: zod's name, `email`, `uuid` or `regex`
    std::string pattern;      // format: the regular expression's source text
    Matcher matches = nullptr;
    std::string message;  // the issue message; for min_length, empty means zod's default
};

// `minLength` in the document; zod's `too_small` issue.
StringRule min_length(std::size_t minimum, std::string message = {});
// `format` (except for `regex`) and `pattern` in the document; zod's `invalid_format` issue.
StringRule format(std::string format, std::string pattern, Matcher matches, std::string message);

struct StringSchema {
    std::vector<StringRule> rules;
    std::string description;  // for the document
    std::string example;      // for the document (what Swagger UI pre-fills); empty: none
};

struct Property {
    std::string name;
    StringSchema schema;
    bool required = true;  // an optional one is checked only when present
};

// A JSON object whose listed properties are strings, required unless marked optional; other keys
// are ignored (contract 3.2: unknown body fields are silently ignored). `exactly_one_of` names
// optional properties of which a body must hold exactly one (a `custom` issue at the root
// otherwise; `oneOf` in the document).
struct ObjectSchema {
    std::vector<Property> properties;
    std::vector<std::string> exactly_one_of = {};
};

// The `details` array text of a failed validation (issue objects in zod's key order).
struct Issues {
    std::string details_json;
};

// nullopt when `body` satisfies `schema`. `body` is null when the request had no parsed JSON body
// (reported as "received undefined").
std::optional<Issues> validate(const ObjectSchema& schema, const boost::json::value* body);
// A lone string (a path parameter): issues carry the path `[field]`.
std::optional<Issues> validate(const StringSchema& schema, std::string_view field,
                               std::string_view value);

// JSON Schema 2020-12 (the dialect of OpenAPI 3.1) for a schema: `type`, `required`,
// `properties`, `minLength`, `format`, `pattern`, `description`, `examples`.
boost::json::object to_json_schema(const ObjectSchema& schema);
boost::json::object to_json_schema(const StringSchema& schema);

}  // namespace portcullis::schema
