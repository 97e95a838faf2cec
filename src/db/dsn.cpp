// See dsn.hpp.
#include "db/dsn.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <algorithm>
#include <array>
#include <vector>

#include "config/parse.hpp"
#include "util/js_text.hpp"

namespace portcullis::db {
namespace {
// Parameters a Prisma DATABASE_URL may carry that libpq would reject.
constexpr std::array<std::string_view, 9> kPrismaOnly = {
    "schema",    "connection_limit",     "pool_timeout",
    "pgbouncer", "statement_cache_size", "socket_timeout",
    "sslaccept", "sslidentity",          "application_name_suffix"};

bool is_prisma_only(std::string_view key) {
    return std::find(kPrismaOnly.begin(), kPrismaOnly.end(), key) != kPrismaOnly.end();
}

// Quotes a value for libpq's `options` (backslash-escapes spaces and backslashes).
std::string escape_option_value(std::string_view value) {
    std::string out;
    for (char c : value) {
        if (c == ' ' || c == '\\') out.push_back('\\');
        out.push_back(c);
    }
    return out;
}

// The schema as a quoted identifier, so `Tenant_A` keeps its case as it does for Prisma.
std::string quoted_identifier(std::string_view name) {
    std::string out = "\"";
    for (char c : name) {
        if (c == '"') out.push_back('"');
        out.push_back(c);
    }
    out.push_back('"');
    return out;
}

void apply_schema(ConnectionSettings& settings) {
    if (settings.schema.empty()) return;
    const std::string option =
        "-c search_path=" + escape_option_value(quoted_identifier(settings.schema));
    for (auto& [key, value] : settings.params) {
        if (key == "options") {
            value += " " + option;
            return;
        }
    }
    settings.params.emplace_back("options", option);
}

struct HostList {
    std::string hosts;  // `h1,h2` for libpq's host
    std::string ports;  // `p1,p2` (empty entries: the default port); empty when none was given
};

// The host part of a multi-host authority (`h1:p1,[::1]:p2,h3`), as libpq reads its URLs.
std::optional<HostList> split_hosts(std::string_view text, std::string& error) {
    HostList list;
    bool any_port = false;
    std::vector<std::string> ports;
    std::size_t at = 0;
    while (at <= text.size()) {
        auto end = text.find(',', at);
        if (end == std::string_view::npos) end = text.size();
        std::string_view entry = text.substr(at, end - at);
        std::string_view host = entry;
        std::string_view port;
        if (entry.starts_with('[')) {
            const auto close = entry.find(']');
            if (close == std::string_view::npos) {
                error = "DATABASE_URL has an unterminated [IPv6] host";
                return std::nullopt;
            }
            host = entry.substr(1, close - 1);
            if (close + 1 < entry.size()) {
                if (entry[close + 1] != ':') {
                    error = "DATABASE_URL has an invalid host list";
                    return std::nullopt;
                }
                port = entry.substr(close + 2);
            }
        } else if (const auto colon = entry.rfind(':'); colon != std::string_view::npos) {
            host = entry.substr(0, colon);
            port = entry.substr(colon + 1);
        }
        if (host.empty() || port.find_first_not_of("0123456789") != std::string_view::npos) {
            error = "DATABASE_URL has an invalid host list (expected host[:port],host[:port]...)";
            return std::nullopt;
        }
        if (!list.hosts.empty()) list.hosts += ',';
        list.hosts += host;
        ports.emplace_back(port);
        any_port = any_port || !port.empty();
        at = end + 1;
    }
    if (any_port) {
        for (std::size_t i = 0; i < ports.size(); ++i) {
            if (i > 0) list.ports += ',';
            list.ports += ports[i];
        }
    }
    return list;
}

std::optional<ConnectionSettings> parse_single_host_uri(std::string_view text, std::string& error);

// `scheme://[userinfo@]h1[:p1],h2[:p2]/...`: the host list is taken out, the rest is parsed as a
// one-host URL, and the list goes to libpq's `host` and `port` (libpq tries them in order).
std::optional<ConnectionSettings> parse_uri(std::string_view text, std::string& error) {
    const auto authority_start = text.find("://") + 3;
    auto authority_end = text.find_first_of("/?#", authority_start);
    if (authority_end == std::string_view::npos) authority_end = text.size();
    const std::string_view authority =
        text.substr(authority_start, authority_end - authority_start);
    const auto at = authority.rfind('@');
    const std::size_t hosts_start = at == std::string_view::npos ? 0 : at + 1;
    const std::string_view hosts = authority.substr(hosts_start);
    if (hosts.find(',') == std::string_view::npos) return parse_single_host_uri(text, error);

    const auto list = split_hosts(hosts, error);
    if (!list) return std::nullopt;
    std::string single(text.substr(0, authority_start + hosts_start));
    single += "multi-host";
    single += text.substr(authority_end);
    auto settings = parse_single_host_uri(single, error);
    if (!settings) return settings;
    settings->masked = mask_database_url(text);
    for (auto& [key, value] : settings->params) {
        if (key == "host" && value == "multi-host") value = list->hosts;
    }
    if (!list->ports.empty()) settings->params.emplace_back("port", list->ports);
    return settings;
}

std::optional<ConnectionSettings> parse_single_host_uri(std::string_view text, std::string& error) {
    const auto parsed = boost::urls::parse_uri(text);
    if (!parsed) {
        error = "DATABASE_URL is not a valid URL";
        return std::nullopt;
    }
    const boost::urls::url_view url = *parsed;
    ConnectionSettings settings;
    settings.masked = mask_database_url(text);
    if (url.has_userinfo()) {
        if (!url.user().empty()) settings.params.emplace_back("user", url.user());
        if (url.has_password()) settings.params.emplace_back("password", url.password());
    }
    std::string host = url.host();
    if (!host.empty()) {
        if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
            host = host.substr(1, host.size() - 2);
        }
        settings.params.emplace_back("host", host);
    }
    if (url.has_port()) settings.params.emplace_back("port", std::string(url.port()));
    std::string database = url.path();
    if (!database.empty() && database.front() == '/') database.erase(0, 1);
    if (!database.empty()) settings.params.emplace_back("dbname", database);
    for (const auto& param : url.params()) {
        const std::string key = param.key;
        const std::string value = param.has_value ? std::string(param.value) : std::string{};
        if (key == "schema") {
            settings.schema = value;
        } else if (key == "host") {
            // An explicit ?host= (e.g. a Unix socket directory) overrides the authority.
            std::erase_if(settings.params, [](const auto& p) { return p.first == "host"; });
            settings.params.emplace_back("host", value);
        } else if (!is_prisma_only(key)) {
            settings.params.emplace_back(key, value);
        }
    }
    apply_schema(settings);
    return settings;
}

// libpq's key=value grammar: values may be single-quoted with backslash escapes.
std::optional<ConnectionSettings> parse_key_values(std::string_view text, std::string& error) {
    ConnectionSettings settings;
    settings.masked = mask_database_url(text);
    std::size_t i = 0;
    auto skip_space = [&] {
        while (i < text.size() && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n')) ++i;
    };
    while (true) {
        skip_space();
        if (i >= text.size()) break;
        const std::size_t key_start = i;
        while (i < text.size() && text[i] != '=' && text[i] != ' ') ++i;
        std::string key(text.substr(key_start, i - key_start));
        skip_space();
        if (i >= text.size() || text[i] != '=') {
            error = "DATABASE_URL: missing \"=\" after \"" + key + "\"";
            return std::nullopt;
        }
        ++i;
        skip_space();
        std::string value;
        if (i < text.size() && text[i] == '\'') {
            ++i;
            bool closed = false;
            while (i < text.size()) {
                if (text[i] == '\\' && i + 1 < text.size()) {
                    value.push_back(text[i + 1]);
                    i += 2;
                } else if (text[i] == '\'') {
                    ++i;
                    closed = true;
                    break;
                } else {
                    value.push_back(text[i++]);
                }
            }
            if (!closed) {
                error = "DATABASE_URL: unterminated quoted value for \"" + key + "\"";
                return std::nullopt;
            }
        } else {
            while (i < text.size() && text[i] != ' ' && text[i] != '\t' && text[i] != '\n') {
                if (text[i] == '\\' && i + 1 < text.size()) ++i;
                value.push_back(text[i++]);
            }
        }
        if (key.empty()) {
            error = "DATABASE_URL: empty keyword";
            return std::nullopt;
        }
        if (key == "schema") {
            settings.schema = value;
        } else {
            settings.params.emplace_back(std::move(key), std::move(value));
        }
    }
    if (settings.params.empty()) {
        error = "DATABASE_URL has no connection parameters";
        return std::nullopt;
    }
    apply_schema(settings);
    return settings;
}

bool is_uri(std::string_view text) {
    return text.starts_with("postgresql://") || text.starts_with("postgres://");
}
}  // namespace

std::optional<ConnectionSettings> parse_database_url(std::string_view url, std::string& error) {
    const auto text = util::trim_js(url);
    if (text.empty()) {
        error = "DATABASE_URL is empty";
        return std::nullopt;
    }
    if (text.find("://") != std::string_view::npos && !is_uri(text)) {
        error = "DATABASE_URL must use the postgresql:// or postgres:// scheme";
        return std::nullopt;
    }
    auto settings = is_uri(text) ? parse_uri(text, error) : parse_key_values(text, error);
    if (!settings) return settings;
    // Prisma's engine never negotiates GSSAPI encryption; libpq would try it first on every
    // connection (a Kerberos credential lookup). Off unless the URL asks for it.
    const bool gss_given = std::any_of(settings->params.begin(), settings->params.end(),
                                       [](const auto& p) { return p.first == "gssencmode"; });
    if (!gss_given) settings->params.emplace_back("gssencmode", "disable");
    return settings;
}

std::string mask_database_url(std::string_view url) {
    if (url.find("://") != std::string_view::npos) return config::mask_url_password(url);
    // key=value form: mask the value of `password`.
    std::string out(url);
    const auto pos = out.find("password");
    if (pos == std::string::npos) return out;
    auto eq = out.find('=', pos);
    if (eq == std::string::npos) return out;
    ++eq;
    while (eq < out.size() && out[eq] == ' ') ++eq;
    std::size_t end = eq;
    if (end < out.size() && out[end] == '\'') {
        ++end;
        while (end < out.size() && out[end] != '\'') end += out[end] == '\\' ? 2u : 1u;
        end = std::min(end + 1, out.size());
    } else {
        while (end < out.size() && out[end] != ' ') ++end;
    }
    out.replace(eq, end - eq, "***");
    return out;
}

}  // namespace portcullis::db
