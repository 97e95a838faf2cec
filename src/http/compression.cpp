// Response compression with the rules of the reference's `compression` middleware (contract 3.9).
#include "http/cached_body.hpp"
#include "http/codec.hpp"
#include "http/middlewares.hpp"
#include "util/strings.hpp"

namespace portcullis::http {

bool is_compressible_type(std::string_view content_type) {
    if (content_type.empty()) return false;
    const std::string lower = util::to_lower(content_type);
    return lower.starts_with("text/") || lower.find("application/json") != std::string::npos ||
           lower.find("application/javascript") != std::string::npos ||
           lower.find("application/xml") != std::string::npos;
}

Middleware compression(CompressionOptions options) {
    return [options](Request& request, Next next) -> Awaitable<Response> {
        Response response = co_await next(request);
        if (!options.enabled) co_return response;
        if (!is_compressible_type(response.headers.get("Content-Type"))) co_return response;
        if (response.headers.get("Cache-Control").find("no-transform") != std::string_view::npos) {
            co_return response;
        }
        add_vary(response, "Accept-Encoding");
        if (response.body.empty() || response.body.size() < options.min_bytes) co_return response;
        if (response.headers.contains("Content-Encoding") || request.is_head()) co_return response;

        const Coding coding = negotiate_coding(request.headers.get("accept-encoding"));
        if (coding == Coding::identity) co_return response;
        response.body = response.cached != nullptr ? response.cached->compressed(coding)
                                                   : compress(coding, response.body);
        response.headers.set_static("Content-Encoding", coding_name(coding));
        response.headers.erase("Content-Length");
        response.chunked = true;
        co_return response;
    };
}

}  // namespace portcullis::http
