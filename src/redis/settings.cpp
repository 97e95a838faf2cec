// See settings.hpp.
#include "redis/settings.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>

#include "config/parse.hpp"

namespace portcullis::redis {

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
    return settings;
}

}  // namespace portcullis::redis
