// Weak ETags and 304 Not Modified as Express's res.send does them (contract 3.1).
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>

#include "http/middlewares.hpp"
#include "util/strings.hpp"

namespace portcullis::http {

std::string weak_etag(std::string_view body) {
    std::array<unsigned char, SHA_DIGEST_LENGTH> digest{};
    SHA1(reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest.data());
    std::array<unsigned char, 32> b64{};
    EVP_EncodeBlock(b64.data(), digest.data(), static_cast<int>(digest.size()));
    char length_hex[20];
    const int n = std::snprintf(length_hex, sizeof length_hex, "%zx", body.size());
    std::string etag = "W/\"";
    etag.append(length_hex, static_cast<std::size_t>(n));
    etag += '-';
    etag.append(reinterpret_cast<const char*>(b64.data()), 27);
    etag += '"';
    return etag;
}

bool if_none_match_matches(std::string_view if_none_match, std::string_view etag) {
    const auto strip_weak = [](std::string_view tag) {
        tag = util::trim(tag);
        if (tag.starts_with("W/")) tag.remove_prefix(2);
        return tag;
    };
    if (util::trim(if_none_match) == "*") return true;
    const auto wanted = strip_weak(etag);
    std::string_view rest = if_none_match;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        if (strip_weak(rest.substr(0, comma)) == wanted) return true;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    return false;
}

Middleware conditional_get() {
    return [](Request& request, Next next) -> Awaitable<Response> {
        Response response = co_await next(request);
        if (response.body.empty() || !response.allow_etag || response.headers.contains("ETag")) {
            co_return response;
        }
        response.headers.set("ETag", weak_etag(response.body));

        const bool cacheable_method = request.method == "GET" || request.method == "HEAD";
        const bool success = response.status >= 200 && response.status < 300;
        const auto if_none_match = request.headers.get("if-none-match");
        const bool no_cache = request.headers.get("cache-control").find("no-cache") !=
                              std::string_view::npos;
        if (cacheable_method && success && !if_none_match.empty() && !no_cache &&
            if_none_match_matches(if_none_match, response.headers.get("ETag"))) {
            response.status = 304;
            response.body.clear();
            response.headers.erase("Content-Type");
            response.headers.erase("Content-Length");
        }
        co_return response;
    };
}

}  // namespace portcullis::http
