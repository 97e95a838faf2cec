// The /docs routes of openapi_routes.hpp: Swagger UI from the files embedded at build time.
#include <map>
#include <memory>
#include <string>

#include "http/cached_body.hpp"
#include "routes/docs_ui_files.hpp"
#include "routes/openapi_routes.hpp"

namespace portcullis::routes {
namespace {

// The docs page needs less than Helmet's default policy and more than the redirect's
// `default-src 'none'`:
// - script-src 'self': the bundle, the preset and swagger-ui-init.js, all files of this folder (no
//   inline script). No 'unsafe-eval': the bundle's only Function() calls are `globalThis`
//   fallbacks that current browsers never reach; the browser test fails on any CSP violation.
// - style-src 'self' 'unsafe-inline': swagger-ui.css, plus the style attributes React renders.
// - img-src 'self' data:: the favicons and the SVG icons the CSS inlines as data: URLs.
// - connect-src 'self': the page fetches /openapi.json and "Try it out" calls this API only.
// No upgrade-insecure-requests: the page is for development, often over plain http on a LAN
// address, where upgrading its own requests to https would break it.
constexpr std::string_view kDocsPolicy =
    "default-src 'none';base-uri 'none';connect-src 'self';font-src 'self' data:;"
    "form-action 'self';frame-ancestors 'self';img-src 'self' data:;object-src 'none';"
    "script-src 'self';style-src 'self' 'unsafe-inline'";

struct DocsFile {
    std::string_view content_type;
    http::CachedBody body;
};
using Files = std::map<std::string, std::unique_ptr<const DocsFile>, std::less<>>;

http::Response serve(const DocsFile& file) {
    http::Response response;
    response.headers.set_static("Content-Type", file.content_type);
    response.headers.set_static("Cache-Control", "public, max-age=300");
    response.headers.set_static("Content-Security-Policy", kDocsPolicy);
    response.body = std::string(file.body.bytes());
    response.cached = &file.body;
    return response;
}

std::string escape_html(std::string_view text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '"':
                out += "&quot;";
                break;
            case '\'':
                out += "&#39;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// `/docs` → `/docs/` as Express's static middleware answers it (contract 3.7: its own CSP).
http::Response redirect_to_folder(const http::Request& request) {
    std::string location(request.path);
    location += '/';
    if (!request.query.empty()) {
        location += '?';
        location += request.query;
    }
    http::Response response;
    response.status = 301;
    response.headers.set_static("Content-Type", "text/html; charset=UTF-8");
    response.headers.set_static("Content-Security-Policy", "default-src 'none'");
    response.body =
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<title>Redirecting</title>\n</head>\n<body>\n<pre>Redirecting to " +
        escape_html(location) + "</pre>\n</body>\n</html>\n";
    response.headers.set("Location", std::move(location));
    return response;
}

}  // namespace

std::vector<http::Route> docs_routes(const config::Config& config) {
    std::vector<http::Route> routes;
    if (config.production()) return routes;  // /docs is the JSON 404 there (contract 15)

    auto files = std::make_shared<Files>();
    for (const auto& file : docs_ui_files()) {
        // CachedBody cannot move: built in place.
        files->emplace(
            std::string(file.name),
            std::unique_ptr<const DocsFile>(new DocsFile{
                file.content_type, http::CachedBody(http::CachedBody::Static{file.bytes})}));
    }
    const DocsFile* index = files->at("index.html").get();

    routes.push_back(
        {"GET", "/docs", [files, index](http::Request& r) -> http::Awaitable<http::Response> {
             if (!r.path.ends_with('/')) co_return redirect_to_folder(r);
             co_return serve(*index);
         }});
    routes.push_back(
        {"GET", "/docs/:file", [files](http::Request& r) -> http::Awaitable<http::Response> {
             const auto found = files->find(r.param("file"));
             if (found == files->end() || r.path.ends_with('/')) {
                 co_return http::Response::error(404, "Not Found");
             }
             co_return serve(*found->second);
         }});
    return routes;
}

}  // namespace portcullis::routes
