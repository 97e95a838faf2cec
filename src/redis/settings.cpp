// See settings.hpp.
#include "redis/settings.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>

#include "config/parse.hpp"

namespace portcullis::redis {

namespace {
// `host:port` or `[v6]:port` of an `addr=` parameter.
std::optional<std::pair<std::string, std::uint16_t>> parse_address(std::string_view text) {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return std::nullopt;
    std::string host(text.substr(0, colon));
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    const auto port_text = text.substr(colon + 1);
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc{} || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535 || host.empty()) {
        return std::nullopt;
    }
    return std::pair{host, static_cast<std::uint16_t>(port)};
}
}  // namespace

std::optional<Settings> parse_redis_url(std::string_view url, std::string& error) {
    Settings settings;
    settings.masked = config::mask_url_password(url);
    const auto parsed = boost::urls::parse_uri(url);
    if (!parsed) {
        error = "RATE_LIMIT_REDIS_URL is not a valid URL: " + settings.masked;
        return std::nullopt;
    }
    const auto scheme = parsed->scheme();
    if (scheme == "rediss") {
        error =
            "RATE_LIMIT_REDIS_URL: TLS (rediss://) is not supported; use redis:// over a "
            "private network or a TLS sidecar";
        return std::nullopt;
    }
    if (scheme != "redis") {
        error = "RATE_LIMIT_REDIS_URL must use the redis:// scheme: " + settings.masked;
        return std::nullopt;
    }
    if (!parsed->host().empty()) {
        settings.host = parsed->host_address();
        if (settings.host.size() > 2 && settings.host.front() == '[') {
            settings.host = settings.host.substr(1, settings.host.size() - 2);
        }
    }
    if (parsed->has_port()) {
        const auto text = parsed->port();
        unsigned value = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) {
            error = "RATE_LIMIT_REDIS_URL has an invalid port: " + settings.masked;
            return std::nullopt;
        }
        settings.port = static_cast<std::uint16_t>(value);
    }
    if (parsed->has_userinfo()) {
        settings.username = parsed->user();
        if (parsed->has_password()) settings.password = parsed->password();
        // `redis://secret@host` is the password alone in redis-cli and node-redis alike.
        if (!parsed->has_password()) std::swap(settings.username, settings.password);
    }
    std::string_view path = parsed->encoded_path();
    if (!path.empty() && path.front() == '/') path.remove_prefix(1);
    if (!path.empty()) {
        int db = 0;
        const auto [end, ec] = std::from_chars(path.data(), path.data() + path.size(), db);
        if (ec != std::errc{} || end != path.data() + path.size() || db < 0) {
            error = "RATE_LIMIT_REDIS_URL has an invalid database index: " + settings.masked;
            return std::nullopt;
        }
        settings.database = db;
    }
    for (const auto& param : parsed->params()) {
        if (param.key == "cluster") {
            const std::string value = param.has_value ? std::string(param.value) : "true";
            if (value != "true" && value != "false" && value != "1" && value != "0") {
                error = "RATE_LIMIT_REDIS_URL: cluster must be true or false: " + settings.masked;
                return std::nullopt;
            }
            settings.cluster = value == "true" || value == "1";
        } else if (param.key == "addr") {
            auto address = parse_address(param.value);
            if (!address) {
                error = "RATE_LIMIT_REDIS_URL: addr must be host:port: " + settings.masked;
                return std::nullopt;
            }
            settings.seeds.push_back(std::move(*address));
        }
    }
    if (!settings.seeds.empty() && !settings.cluster) {
        error = "RATE_LIMIT_REDIS_URL: addr= needs cluster=true: " + settings.masked;
        return std::nullopt;
    }
    if (settings.cluster && settings.database != 0) {
        error = "RATE_LIMIT_REDIS_URL: a Redis Cluster has only database 0: " + settings.masked;
        return std::nullopt;
    }
    return settings;
}

}  // namespace portcullis::redis
