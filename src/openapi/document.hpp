// Builds Portcullis' OpenAPI 3.1.0 document (contract 15, decisions C) from the served routes:
// info, servers, tags and x-tagGroups, security schemes, component schemas, one path item per
// route with its operation, request body (from the validation schemas), responses and examples.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "openapi/operation.hpp"

namespace portcullis::openapi {

// One served route: `pattern` in the router's syntax (`/protected/users/:userId`).
struct Endpoint {
    std::string_view method;
    std::string_view pattern;
    const Operation* operation = nullptr;
};

struct DocumentOptions {
    // Errors the pipeline may answer on every operation (e.g. 429 RATE_LIMITED when rate limiting
    // is on), and on every operation but the probes (503 RATE_LIMIT_UNAVAILABLE in closed mode).
    std::vector<ApiError> every_operation;
    std::vector<ApiError> every_operation_but_probes;
    // Errors of the JSON body parser, on every operation that takes a body.
    std::vector<ApiError> with_request_body;
};

// The document as compact JSON text. Throws std::invalid_argument when an endpoint has no
// operation, two share a method and path or an operation id, or an operation documents no success
// response: a served route the document leaves out stops the start instead.
std::string build_document(const std::vector<Endpoint>& endpoints, const DocumentOptions& options);

// `/protected/users/:userId` → `/protected/users/{userId}`.
std::string openapi_path(std::string_view pattern);

}  // namespace portcullis::openapi
