// JSON body parsing as body-parser's json() does it (contract 3.2, 3.4): only application/json,
// utf-* charsets, gzip/deflate/br inflation under the size limit, strict top-level object/array.
#include "http/json_body.hpp"

#include <boost/json/error.hpp>
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

}  // namespace

ParsedJson parse_json_text(std::string_view text) {
    ParsedJson parsed;
    if (text.empty()) {
        parsed.value = std::make_unique<boost::json::value>(boost::json::object());
        return parsed;
    }
    const auto first = text.find_first_not_of(" \t\n\r");
    if (first == std::string_view::npos || (text[first] != '{' && text[first] != '[')) {
        parsed.error = &errors::kInvalidJson;
        return parsed;
    }
    boost::json::parse_options parse_options;
    parse_options.max_depth = kMaxJsonDepth;
    boost::system::error_code ec;
    auto value = boost::json::parse(text, ec, {}, parse_options);
    if (ec == boost::json::error::too_deep) {
        parsed.error = &errors::kJsonTooDeep;
    } else if (ec) {
        parsed.error = &errors::kInvalidJson;
    } else {
        parsed.value = std::make_unique<boost::json::value>(std::move(value));
    }
    return parsed;
}

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
            throw layer_error(errors::kUnsupportedMediaType,
                              "unsupported charset \"" + upper + "\"");
        }
        const auto encoding_header = request.headers.get("content-encoding");
        const auto coding = parse_coding(encoding_header);
        if (!coding) {
            throw layer_error(errors::kUnsupportedMediaType,
                              "unsupported content encoding \"" +
                                  util::to_lower(util::trim(encoding_header)) + "\"");
        }
        if (request.body_too_large) throw layer_error(errors::kPayloadTooLarge);
        if (request.body_incomplete) {
            throw layer_error(errors::kBadRequest, "request size did not match content length");
        }

        auto inflated = decompress(*coding, request.body, options.limit);
        if (inflated.status == InflateResult::Status::too_large) {
            throw layer_error(errors::kPayloadTooLarge);
        }
        if (inflated.status == InflateResult::Status::corrupt) {
            throw layer_error(errors::kBadRequest, "invalid compressed body");
        }
        auto parsed = parse_json_text(inflated.data);
        if (parsed.error != nullptr) throw layer_error(*parsed.error);
        request.json = std::move(parsed.value);
        co_return co_await next(request);
    };
}

}  // namespace portcullis::http
