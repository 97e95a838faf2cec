// The HTTP surface of the auth core (contract 4.2, 4.3): /auth/* and /protected/* route tables,
// and the middleware that puts the caller's user id into the request log (contract 10.2).
#pragma once

#include <vector>

#include "auth/service.hpp"
#include "http/middlewares.hpp"
#include "http/router.hpp"

namespace portcullis::routes {

struct AuthRoutesOptions {
    bool production = false;  // validation `details` are left out in production (contract 3.2)
};

std::vector<http::Route> auth_routes(auth::AuthService& service, AuthRoutesOptions options);
std::vector<http::Route> protected_routes(auth::AuthService& service, AuthRoutesOptions options);

// Stage 11 of contract 1 as a resolver for the access log: a Bearer access token whose signature
// and expiry hold names the user in the request log. It runs only when a line is written, and
// not at all for requests that authenticated (their user is already known).
http::UserResolver log_user(const auth::AuthService& service);

}  // namespace portcullis::routes
