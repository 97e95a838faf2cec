// See operations.hpp.
#include "routes/operations.hpp"

#include <memory>
#include <stdexcept>
#include <string>

namespace portcullis::routes {

std::vector<http::Route> with_operations(std::vector<http::Route> routes,
                                         std::vector<Documented> operations) {
    std::vector<bool> used(operations.size(), false);
    for (auto& route : routes) {
        for (std::size_t i = 0; i < operations.size(); ++i) {
            if (used[i] || operations[i].method != route.method ||
                operations[i].pattern != route.pattern) {
                continue;
            }
            route.operation =
                std::make_shared<const openapi::Operation>(std::move(operations[i].operation));
            used[i] = true;
            break;
        }
        if (!route.operation) {
            throw std::logic_error("no OpenAPI operation for " + route.method + " " +
                                   route.pattern);
        }
    }
    for (std::size_t i = 0; i < operations.size(); ++i) {
        if (!used[i]) {
            throw std::logic_error("OpenAPI operation for an unserved route " +
                                   std::string(operations[i].method) + " " +
                                   std::string(operations[i].pattern));
        }
    }
    return routes;
}

}  // namespace portcullis::routes
