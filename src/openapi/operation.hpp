// What a route tells the OpenAPI document about itself (contract 15): operation id, tag, summary,
// security, the request schema it validates with, its success responses and the errors it can
// answer. http::Route carries one; the document is built from the routes actually served.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "schema/schema.hpp"

namespace portcullis::openapi {

// An error answer of the API (contract 17): status, stable code and message, all static text.
struct ApiError {
    int status = 500;
    std::string_view code = {};
    std::string_view message = {};
};

struct Success {
    int status = 200;
    std::string description = {};
    std::string schema = {};  // component schema name; empty: no body (204)
    std::string content_type = "application/json";
};

struct PathParameter {
    std::string name = {};
    const schema::StringSchema* schema = nullptr;
};

struct Operation {
    std::string operation_id = {};
    std::string tag = {};
    std::string summary = {};
    std::string description = {};
    std::string security = {};  // security scheme name; empty: public
    // The schema the handler validates the JSON body with (the same object, so they agree).
    const schema::ObjectSchema* request_body = nullptr;
    std::vector<PathParameter> parameters = {};
    std::vector<Success> successes = {};
    std::vector<ApiError> errors = {};  // what the handler itself can answer
    // Probes keep answering while the rate-limit store is down (decisions A.4): no 503
    // RATE_LIMIT_UNAVAILABLE for them.
    bool probe = false;
};

}  // namespace portcullis::openapi
