// JSON body parsing as body-parser's json() does it (contract 3.2, 3.4): only application/json,
// utf-* charsets, gzip/deflate/br inflation under the size limit, strict top-level object/array.
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "http/codec.hpp"
#include "http/error.hpp"
#include "http/middlewares.hpp"
#include "util/strings.hpp"

namespace portcullis::http {
namespace {
// The value of the `charset` parameter of a media type, or empty.
std::string_view charset_of(std::string_view content_type) {
    std::string_view rest = content_type;
    while (true) {
        const auto semi = rest.find(';');
        if (semi == std::string_view::npos) return {};
        rest.remove_prefix(semi + 1);
        auto param = util::trim(rest.substr(0, rest.find(';')));
        if (util::istarts_with(param, "charset=")) {
            auto value = util::trim(param.substr(8));
            if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
                value = value.substr(1, value.size() - 2);
            }
            return value;
        }
    }
}

bool has_body(const Request& request) {
    return request.headers.contains("transfer-encoding") ||
           !request.headers.get("content-length").empty();
}

[[noreturn]] void invalid_json() {
    throw HttpError(400, "Invalid JSON");
}
}  // namespace

bool is_json_content_type(std::string_view content_type) {
    const auto media = util::trim(content_type.substr(0, content_type.find(';')));
    return util::iequals(media, "application/json");
}

Middleware json_body(BodyOptions options) {
    return [options](Request& request, Next next) -> Awaitable<Response> {
        const auto content_type = request.headers.get("content-type");
        if (!has_body(request) || !is_json_content_type(content_type)) {
            co_return co_await next(request);
        }
        const auto charset = charset_of(content_type);
        if (!charset.empty() && !util::istarts_with(charset, "utf-")) {
            std::string upper(charset);
            for (auto& c : upper) {
                if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
            }
            throw HttpError(415, "unsupported charset \"" + upper + "\"");
        }
        const auto encoding_header = request.headers.get("content-encoding");
        const auto coding = parse_coding(encoding_header);
        if (!coding) {
            throw HttpError(415, "unsupported content encoding \"" +
                                     util::to_lower(util::trim(encoding_header)) + "\"");
        }
        if (request.body_too_large) throw HttpError(413, "request entity too large");
        if (request.body_incomplete) {
            throw HttpError(400, "request size did not match content length");
        }

        auto inflated = decompress(*coding, request.body, options.limit);
        if (inflated.status == InflateResult::Status::too_large) {
            throw HttpError(413, "request entity too large");
        }
        if (inflated.status == InflateResult::Status::corrupt) {
            throw HttpError(400, "invalid compressed body");
        }
        const std::string& text = inflated.data;
        if (text.empty()) {
            request.json = std::make_unique<boost::json::value>(boost::json::object());
            co_return co_await next(request);
        }
        const auto first = text.find_first_not_of(" \t\n\r");
        if (first == std::string::npos || (text[first] != '{' && text[first] != '[')) {
            invalid_json();
        }
        boost::json::parse_options parse_options;
        parse_options.max_depth = 256;
        boost::system::error_code ec;
        auto value = boost::json::parse(text, ec, {}, parse_options);
        if (ec) invalid_json();
        request.json = std::make_unique<boost::json::value>(std::move(value));
        co_return co_await next(request);
    };
}

}  // namespace portcullis::http
