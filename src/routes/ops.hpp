// Operational routes (contract 4.3): GET /health, GET /ready, GET /version.
#pragma once

#include <atomic>
#include <functional>
#include <vector>

#include "http/router.hpp"

namespace portcullis::routes {

// Process-wide lifecycle flags read by /ready; written by the shutdown sequence.
struct Lifecycle {
    std::atomic<bool> shutting_down{false};
};

// A readiness probe of one dependency: the 503 it answers with when not ready.
struct ReadinessCheck {
    std::function<http::Awaitable<bool>()> ready;
    int status = 503;
    std::string message;
    std::string code;
};

std::vector<http::Route> ops_routes(const Lifecycle& lifecycle,
                                    std::vector<ReadinessCheck> readiness_checks);

}  // namespace portcullis::routes
