// See response.hpp.
#include "http/response.hpp"

#include "util/json_text.hpp"
#include "util/strings.hpp"

namespace portcullis::http {

Response Response::json(int status, std::string json_text) {
    Response r;
    r.status = status;
    r.headers.set_static("Content-Type", "application/json; charset=utf-8");
    r.body = std::move(json_text);
    return r;
}

Response Response::error(int status, std::string_view message, std::string_view code,
                         std::string_view details_json) {
    std::string body;
    body.reserve(64 + message.size() + code.size() + details_json.size());
    body += R"({"error":{"message":)";
    util::append_json_string(body, message);
    if (!code.empty()) {
        body += R"(,"code":)";
        util::append_json_string(body, code);
    }
    if (!details_json.empty()) {
        body += R"(,"details":)";
        body += details_json;
    }
    body += "}}";
    return json(status, std::move(body));
}

Response Response::empty(int status) {
    Response r;
    r.status = status;
    return r;
}

void add_vary(Response& response, std::string_view token) {
    const std::string_view existing = response.headers.get("Vary");
    if (existing.empty()) {
        response.headers.set("Vary", std::string(token));
        return;
    }
    // Already listed (or `*`)? Then nothing to add.
    std::string_view rest = existing;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        const auto item = util::trim(rest.substr(0, comma));
        if (item == "*" || util::iequals(item, token)) return;
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
    }
    std::string merged(existing);
    merged += ", ";
    merged += token;
    response.headers.set("Vary", std::move(merged));
}

std::string_view reason_phrase(int status) {
    switch (status) {
        case 100:
            return "Continue";
        case 200:
            return "OK";
        case 201:
            return "Created";
        case 202:
            return "Accepted";
        case 204:
            return "No Content";
        case 301:
            return "Moved Permanently";
        case 302:
            return "Found";
        case 304:
            return "Not Modified";
        case 400:
            return "Bad Request";
        case 401:
            return "Unauthorized";
        case 403:
            return "Forbidden";
        case 404:
            return "Not Found";
        case 405:
            return "Method Not Allowed";
        case 408:
            return "Request Timeout";
        case 409:
            return "Conflict";
        case 413:
            return "Payload Too Large";
        case 415:
            return "Unsupported Media Type";
        case 429:
            return "Too Many Requests";
        case 431:
            return "Request Header Fields Too Large";
        case 500:
            return "Internal Server Error";
        case 501:
            return "Not Implemented";
        case 503:
            return "Service Unavailable";
        default:
            return "Unknown";
    }
}

}  // namespace portcullis::http
