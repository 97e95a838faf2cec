// The rate-limit stage of the pipeline (contract 1 stages 7-8 and the route-level limiters of
// stage 12, decisions B.5, B.6): global for every request, `/auth` for that mount, then the
// register, password-reset and resend-verification limiters on their POST routes, each counted
// only when the earlier ones let the request through. The innermost limiter's RateLimit-*
// headers go on the response; a rejection is the JSON 429 of B.5 with Retry-After. The limiters
// themselves (ratelimit/) know nothing of HTTP; this file adapts them to the pipeline.
#pragma once

#include <string_view>

#include "http/pipeline.hpp"
#include "ratelimit/limiter.hpp"

namespace portcullis::routes {

// Express mount matching: `/auth` or `/auth/...`, case-insensitive.
bool under_auth_mount(std::string_view path);

// Which route-level limiter a request meets, if any.
const ratelimit::LimiterSpec* route_limiter(const ratelimit::LimiterSet& set,
                                            std::string_view method, std::string_view path);

http::Middleware rate_limits(ratelimit::Limiters& limiters, ratelimit::LimiterSet set);

}  // namespace portcullis::routes
