// Attaches OpenAPI operations (contract 15) to a route table: each route of the table gets the
// operation declared for its method and pattern in the same file as its handler.
#pragma once

#include <string_view>
#include <vector>

#include "http/router.hpp"
#include "openapi/operation.hpp"

namespace portcullis::routes {

struct Documented {
    std::string_view method;
    std::string_view pattern;
    openapi::Operation operation;
};

// Throws std::logic_error when a route has no operation or an operation no route: the document
// would otherwise leave a served route out or describe one that is not served.
std::vector<http::Route> with_operations(std::vector<http::Route> routes,
                                         std::vector<Documented> operations);

}  // namespace portcullis::routes
