// Weak ETags and 304 Not Modified as Express's res.send does them (contract 3.1).
#include <openssl/evp.h>
#include <openssl/sha.h>

#include <array>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "http/cached_body.hpp"
#include "http/middlewares.hpp"
#include "util/strings.hpp"

namespace portcullis::http {

namespace {
// OpenSSL 3 looks an algorithm up (under a lock) on every one-shot call; fetch SHA-1 once.
const EVP_MD* sha1() {
    static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA1", nullptr);
    return md;
}

std::string compute_weak_etag(std::string_view body) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int digest_size = 0;
    thread_local const std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(
        EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    EVP_MD_CTX* const ctx = context.get();
    if (ctx == nullptr || EVP_DigestInit_ex(ctx, sha1(), nullptr) != 1 ||
        EVP_DigestUpdate(ctx, body.data(), body.size()) != 1 ||
        EVP_DigestFinal_ex(ctx, digest.data(), &digest_size) != 1 ||
        digest_size != SHA_DIGEST_LENGTH) {
        throw std::runtime_error("SHA-1 digest failed");
    }
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
}  // namespace

std::string weak_etag(std::string_view body) {
    // Most bodies a thread answers repeatedly are identical small documents (/health, /ready,
    // envelopes): remember the last small one.
    constexpr std::size_t kMemoMaxBytes = 256;
    thread_local std::string last_body;
    thread_local std::string last_etag;
    if (body.size() <= kMemoMaxBytes && !last_etag.empty() && body == last_body) return last_etag;
    std::string etag = compute_weak_etag(body);
    if (body.size() <= kMemoMaxBytes) {
        last_body.assign(body);
        last_etag = etag;
    }
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
        if (response.body.empty() || !response.allow_etag) co_return response;
        if (!response.headers.contains("ETag")) {
            response.headers.set("ETag", response.cached != nullptr ? response.cached->etag()
                                                                    : weak_etag(response.body));
        }

        const bool cacheable_method = request.method == "GET" || request.method == "HEAD";
        const bool success = response.status >= 200 && response.status < 300;
        const auto if_none_match = request.headers.get("if-none-match");
        const bool no_cache =
            request.headers.get("cache-control").find("no-cache") != std::string_view::npos;
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
