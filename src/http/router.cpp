// See router.hpp.
#include "http/router.hpp"

#include "http/error.hpp"
#include "util/strings.hpp"

namespace portcullis::http {
namespace {
std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    path.remove_prefix(1);  // leading '/'
    while (true) {
        const auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

}  // namespace

std::optional<std::string> decode_uri_component(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out.push_back(text[i]);
            continue;
        }
        if (i + 2 >= text.size()) return std::nullopt;
        const int hi = hex_value(text[i + 1]);
        const int lo = hex_value(text[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
    }
    if (!util::is_valid_utf8(out)) return std::nullopt;
    return out;
}

void Router::add(Route route) {
    Compiled compiled;
    compiled.segments.reserve(4);
    for (auto segment : split_path(route.pattern)) compiled.segments.emplace_back(segment);
    compiled.route = std::move(route);
    routes_.push_back(std::move(compiled));
}

void Router::add_all(std::vector<Route> routes) {
    for (auto& r : routes) add(std::move(r));
}

std::vector<const Route*> Router::routes() const {
    std::vector<const Route*> out;
    out.reserve(routes_.size());
    for (const auto& compiled : routes_) out.push_back(&compiled.route);
    return out;
}

RouteMatch Router::match(std::string_view method, std::string_view path) const {
    RouteMatch result;
    if (path.empty() || path.front() != '/') return result;
    if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);  // one trailing slash
    const auto segments = split_path(path);
    const std::string_view effective_method = method == "HEAD" ? "GET" : method;

    for (const auto& compiled : routes_) {
        if (compiled.route.method != effective_method &&
            !(method == "HEAD" && compiled.route.method == "HEAD")) {
            continue;
        }
        if (compiled.segments.size() != segments.size()) continue;
        bool ok = true;
        for (std::size_t i = 0; i < segments.size() && ok; ++i) {
            const auto& want = compiled.segments[i];
            if (!want.empty() && want.front() == ':') {
                ok = !segments[i].empty();
            } else {
                ok = util::iequals(want, segments[i]);
            }
        }
        if (!ok) continue;

        result.route = &compiled.route;
        for (std::size_t i = 0; i < segments.size(); ++i) {
            const auto& want = compiled.segments[i];
            if (want.empty() || want.front() != ':') continue;
            auto decoded = decode_uri_component(segments[i]);
            if (!decoded) {
                result.undecodable_param = std::string(segments[i]);
                return result;
            }
            result.params.emplace_back(std::string_view(want).substr(1), std::move(*decoded));
        }
        return result;
    }
    return result;
}

Awaitable<Response> Router::dispatch(Request& request) const {
    auto matched = match(request.method, request.path);
    // Answered as values: scanners make 404s the most common error of a public service.
    if (matched.route == nullptr) co_return error_response(errors::kNotFound);
    request.route = matched.route->pattern;
    if (matched.undecodable_param) {
        co_return error_response(errors::kBadRequest,
                                 "Failed to decode param '" + *matched.undecodable_param + "'");
    }
    request.params = std::move(matched.params);
    co_return co_await matched.route->handler(request);
}

}  // namespace portcullis::http
