// GET /.well-known/jwks.json (issue #15): the public halves of the Ed25519 keys that sign EdDSA
// access tokens, so resource servers verify tokens without calling the service. Served only when
// access tokens are EdDSA (with HS256 there is nothing public to publish).
#pragma once

#include <vector>

#include "auth/ed25519_key.hpp"
#include "http/router.hpp"

namespace portcullis::routes {

// The JSON Web Key Set of `keys` (RFC 7517; OKP/Ed25519 of RFC 8037): kty, crv, x, kid, alg, use.
// Never a private member (`d`).
std::string jwks_document(const std::vector<auth::Ed25519Key>& keys);

// The route, or none when `keys` is empty.
std::vector<http::Route> jwks_routes(const std::vector<auth::Ed25519Key>& keys);

}  // namespace portcullis::routes
