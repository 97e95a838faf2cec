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
    // Boost.URL 1.81 reads past the end iterating the params of an empty query before a fragment
    // (`db?#x`, found by fuzz/dsn.cpp): an empty query has no params to read anyway.
    if (!url.encoded_query().empty()) {
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
    }
    apply_schema(settings);
    return settings;
}

// What ends a keyword or an unquoted value for libpq (isspace() in the C locale): reading fewer
// would take `password<TAB>=` for another keyword, whose value the mask would then show.
bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// libpq's key=value grammar: values may be single-quoted with backslash escapes.
std::optional<ConnectionSettings> parse_key_values(std::string_view text, std::string& error) {
    ConnectionSettings settings;
    settings.masked = mask_database_url(text);
    std::size_t i = 0;
    auto skip_space = [&] {
        while (i < text.size() && is_blank(text[i])) ++i;
    };
    while (true) {
        skip_space();
        if (i >= text.size()) break;
        const std::size_t key_start = i;
        while (i < text.size() && text[i] != '=' && !is_blank(text[i])) ++i;
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
            while (i < text.size() && !is_blank(text[i])) {
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

// Percent-decoding, for comparing query keys as libpq reads them (`pass%77ord` is `password`).
std::string percent_decoded(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto hex = [](char c) {
            if (c >= '0' && c <= '9') return c - '0';
            if (c >= 'a' && c <= 'f') return c - 'a' + 10;
            if (c >= 'A' && c <= 'F') return c - 'A' + 10;
            return -1;
        };
        if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 &&
            hex(text[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2])));
            i += 2;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

// The URL form: the userinfo password and the value of every `password` query parameter (libpq
// reads one there too).
std::string mask_uri(std::string_view url) {
    std::string out = config::mask_url_password(url);
    const auto query = out.find('?');
    if (query == std::string::npos) return out;
    const auto query_end = std::min(out.find('#', query), out.size());
    std::string masked = out.substr(0, query + 1);
    std::string_view rest(out.data() + query + 1, query_end - query - 1);
    while (true) {
        const auto amp = rest.find('&');
        const auto param = rest.substr(0, amp);
        const auto eq = param.find('=');
        if (eq != std::string_view::npos && percent_decoded(param.substr(0, eq)) == "password") {
            masked.append(param.substr(0, eq + 1)).append("***");
        } else {
            masked.append(param);
        }
        if (amp == std::string_view::npos) break;
        masked.push_back('&');
        rest.remove_prefix(amp + 1);
    }
    masked.append(out, query_end, std::string::npos);
    return masked;
}

// The key=value form, read as parse_key_values() reads it, with the value of every `password`
// keyword replaced. From a point it cannot read on, the rest is masked if it names a password at
// all: over-masking beats a leak.
std::string mask_key_values(std::string_view text) {
    std::string out;
    std::size_t i = 0;
    bool in_password = false;  // stopped inside the value of `password`
    const auto copy_blanks = [&] {
        while (i < text.size() && is_blank(text[i])) out.push_back(text[i++]);
    };
    while (true) {
        copy_blanks();
        if (i >= text.size()) return out;
        const std::size_t key_start = i;
        while (i < text.size() && text[i] != '=' && !is_blank(text[i])) ++i;
        const std::string_view key = text.substr(key_start, i - key_start);
        out.append(key);
        copy_blanks();
        if (i >= text.size() || text[i] != '=') break;
        out.push_back(text[i++]);
        copy_blanks();
        const std::size_t value_start = i;
        const bool quoted = i < text.size() && text[i] == '\'';
        if (quoted) {
            ++i;
            bool closed = false;
            while (i < text.size() && !closed) {
                if (text[i] == '\\' && i + 1 < text.size()) {
                    i += 2;
                } else {
                    closed = text[i++] == '\'';
                }
            }
            if (!closed) {
                i = value_start;
                in_password = key == "password";
                break;
            }
        } else {
            while (i < text.size() && !is_blank(text[i])) i += text[i] == '\\' ? 2u : 1u;
            i = std::min(i, text.size());
        }
        // A quoted password keeps its quotes: the text after a closing quote may follow it
        // without a blank, and must still read as the next pair, not as more of the password.
        const std::string_view mask = quoted ? "'***'" : "***";
        out.append(key == "password" ? mask : text.substr(value_start, i - value_start));
    }
    const auto rest = text.substr(i);
    const bool names_password = in_password || rest.find("password") != std::string_view::npos;
    out.append(names_password ? std::string_view("***") : rest);
    return out;
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
    // Read as parse_database_url() reads it: surrounding white space (JavaScript's) is not part
    // of the first keyword.
    const auto text = util::trim_js(url);
    return text.find("://") != std::string_view::npos ? mask_uri(text) : mask_key_values(text);
}

}  // namespace portcullis::db
