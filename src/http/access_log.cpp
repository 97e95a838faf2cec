// Request log lines in pino-http's shape (contract 10.2) with the redactions of 10.3.
#include <algorithm>
#include <chrono>
#include <vector>

#include "http/middlewares.hpp"
#include "http/router.hpp"
#include "observability/logger.hpp"
#include "util/json_text.hpp"
#include "util/strings.hpp"

namespace portcullis::http {
namespace {
using util::append_json_number;
using util::append_json_string;

constexpr std::string_view kRedacted = "[REDACTED]";

bool redacted_header(std::string_view name) {
    return util::iequals(name, "authorization") || util::iequals(name, "cookie") ||
           util::iequals(name, "x-metrics-secret") || util::iequals(name, "set-cookie");
}

void append_lower_key(std::string& out, std::string_view name) {
    thread_local std::string lowered;
    lowered.assign(name);
    for (auto& c : lowered) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    append_json_string(out, lowered);
    out.push_back(':');
}

// Express's simple query parser: `a=1&b=2&a=3` → {"a":["1","3"],"b":"2"}.
void append_query(std::string& out, std::string_view query) {
    std::vector<std::pair<std::string, std::vector<std::string>>> fields;
    auto decode = [](std::string_view text) {
        std::string plus_decoded(text);
        for (auto& c : plus_decoded) {
            if (c == '+') c = ' ';
        }
        auto decoded = decode_uri_component(plus_decoded);
        return decoded ? *decoded : plus_decoded;
    };
    while (!query.empty()) {
        const auto amp = query.find('&');
        const auto pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        std::string key = decode(pair.substr(0, eq));
        std::string value =
            eq == std::string_view::npos ? std::string{} : decode(pair.substr(eq + 1));
        auto it = std::find_if(fields.begin(), fields.end(),
                               [&](const auto& f) { return f.first == key; });
        if (it == fields.end())
            fields.push_back({std::move(key), {std::move(value)}});
        else
            it->second.push_back(std::move(value));
    }
    out.push_back('{');
    bool first = true;
    for (const auto& [key, values] : fields) {
        if (!first) out.push_back(',');
        first = false;
        append_json_string(out, key);
        out.push_back(':');
        if (values.size() == 1) {
            append_json_string(out, values.front());
            continue;
        }
        out.push_back('[');
        for (std::size_t i = 0; i < values.size(); ++i) {
            if (i > 0) out.push_back(',');
            append_json_string(out, values[i]);
        }
        out.push_back(']');
    }
    out.push_back('}');
}

void append_request(std::string& out, const Request& request) {
    out += ",\"req\":{\"id\":";
    append_json_string(out, request.id);
    out += ",\"method\":";
    append_json_string(out, request.method);
    out += ",\"url\":";
    append_json_string(out, request.target);
    out += ",\"query\":";
    append_query(out, request.query);
    out += ",\"params\":{";
    for (std::size_t i = 0; i < request.params.size(); ++i) {
        if (i > 0) out.push_back(',');
        append_json_string(out, request.params[i].first);
        out.push_back(':');
        append_json_string(out, request.params[i].second);
    }
    out += "},\"headers\":{";
    bool first = true;
    for (const auto& [name, value] : request.headers.items()) {
        if (!first) out.push_back(',');
        first = false;
        append_lower_key(out, name);
        append_json_string(out, redacted_header(name) ? kRedacted : value);
    }
    out += "},\"remoteAddress\":";
    append_json_string(out, request.remote_address);
    out += ",\"remotePort\":";
    append_json_number(out, static_cast<std::int64_t>(request.remote_port));
    out += ",\"clientIp\":";
    append_json_string(out, request.client_ip);
    out.push_back('}');
}

void append_response(std::string& out, const Response& response) {
    out += ",\"res\":{\"statusCode\":";
    append_json_number(out, static_cast<std::int64_t>(response.status));
    out += ",\"headers\":{";
    bool first = true;
    for (const auto& entry : response.headers.entries()) {
        if (!first) out.push_back(',');
        first = false;
        append_lower_key(out, entry.name);
        append_json_string(out, redacted_header(entry.name) ? kRedacted : entry.value());
    }
    out += "}}";
}
}  // namespace

Middleware access_log(observability::Logger& logger, UserResolver resolve_user) {
    return [&logger, resolve_user = std::move(resolve_user)](Request& request,
                                                             Next next) -> Awaitable<Response> {
        Response response = co_await next(request);
        if (!logger.enabled(observability::Level::info)) co_return response;
        // Authenticated requests already carry the user; /metrics never names one (10.2).
        if (!request.user_id && resolve_user && !util::iequals(request.path, "/metrics")) {
            request.user_id = resolve_user(request);
        }

        const auto elapsed = std::chrono::steady_clock::now() - request.start;
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count();
        std::string line = logger.request_line_prefix(observability::Level::info);
        append_request(line, request);
        if (request.user_id) {
            line += ",\"userId\":";
            append_json_string(line, *request.user_id);
        }
        // pino-http's `request aborted`: the client left before the response (10.2).
        // A client that ended its stream early on purpose still gets (and waits for) its 400. The
        // peek is a system call, so only requests that took a while are checked: a client has no
        // time to leave a request answered within the millisecond, and the hot path stays free.
        const bool aborted = !request.body_incomplete && elapsed >= std::chrono::milliseconds(1) &&
                             client_disconnected(request);
        if (aborted) {
            line += ",\"res\":{\"statusCode\":null,\"headers\":{}}";
        } else {
            append_response(line, response);
        }
        line += ",\"responseTime\":";
        append_json_number(line, static_cast<std::int64_t>(ms));
        if (aborted) {
            line += ",\"msg\":\"request aborted\"}";
        } else if (response.status >= 500) {
            line += ",\"err\":{\"type\":\"Error\",\"message\":\"failed with status code ";
            append_json_number(line, static_cast<std::int64_t>(response.status));
            line += "\"},\"msg\":\"request errored\"}";
        } else {
            line += ",\"msg\":\"request completed\"}";
        }
        logger.write_line(line);
        co_return response;
    };
}

}  // namespace portcullis::http
