// See jwks_routes.hpp.
#include "routes/jwks_routes.hpp"

#include "routes/operations.hpp"
#include "util/json_text.hpp"

namespace portcullis::routes {

std::string jwks_document(const std::vector<auth::Ed25519Key>& keys) {
    std::string body = R"({"keys":[)";
    for (std::size_t i = 0; i < keys.size(); ++i) {
        if (i > 0) body += ',';
        body += R"({"kty":"OKP","crv":"Ed25519","x":)";
        util::append_json_string(body, keys[i].public_x());
        body += R"(,"kid":)";
        util::append_json_string(body, keys[i].kid());
        body += R"(,"alg":"EdDSA","use":"sig"})";
    }
    body += "]}";
    return body;
}

std::vector<http::Route> jwks_routes(const std::vector<auth::Ed25519Key>& keys) {
    if (keys.empty()) return {};
    std::vector<http::Route> routes;
    routes.push_back(
        {"GET", "/.well-known/jwks.json",
         [body = jwks_document(keys)](http::Request&) -> http::Awaitable<http::Response> {
             auto response = http::Response::json(200, body);
             // Verifiers cache the set; a new key is published before it signs
             // (README: key rotation), so five minutes of staleness is harmless.
             response.headers.set_static("Cache-Control", "public, max-age=300, must-revalidate");
             co_return response;
         }});
    std::vector<Documented> operations;
    operations.push_back(
        {"GET",
         "/.well-known/jwks.json",
         {.operation_id = "getJsonWebKeySet",
          .tag = "Auth",
          .summary = "Public keys of access tokens",
          .description =
              "The Ed25519 public keys that sign EdDSA access tokens (JWT_ACCESS_ALGORITHM="
              "EdDSA), by `kid`. Resource servers verify access tokens with them.",
          .successes = {{.status = 200,
                         .description = "The JSON Web Key Set.",
                         .schema = "JsonWebKeySet"}}}});
    return with_operations(std::move(routes), std::move(operations));
}

}  // namespace portcullis::routes
