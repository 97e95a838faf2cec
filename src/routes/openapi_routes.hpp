// GET /openapi.json (contract 15: every environment) and the Swagger UI under /docs (not in
// production).
#pragma once

#include <vector>

#include "config/config.hpp"
#include "http/router.hpp"

namespace portcullis::routes {

// Builds the OpenAPI document once, from every route `router` holds plus /openapi.json itself, so
// call it after the API routes are added. The route answers the pre-rendered bytes with a weak
// ETag, the Cache-Control of contract 3.10 and compressed forms made once. Throws
// std::invalid_argument when a route has no operation (see openapi::build_document).
std::vector<http::Route> openapi_routes(const http::Router& router, const config::Config& config);

// `GET /docs` → 301 `/docs/`; `GET /docs/` the page; `GET /docs/<file>` its embedded files, with
// Cache-Control, ETag and a Content-Security-Policy of their own. None in production.
std::vector<http::Route> docs_routes(const config::Config& config);

}  // namespace portcullis::routes
