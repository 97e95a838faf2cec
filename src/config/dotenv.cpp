// `.env` parsing (dotenv 16 rules); see dotenv.hpp.
#include "config/dotenv.hpp"

#include "config/parse.hpp"

namespace portcullis::config {
namespace {

bool is_key_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

void skip_blanks(std::string_view text, std::size_t& i) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) {
        ++i;
    }
}

std::string normalize_newlines(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r') {
            out += '\n';
            if (i + 1 < text.size() && text[i + 1] == '\n') {
                ++i;
            }
        } else {
            out += text[i];
        }
    }
    return out;
}

std::string expand_escapes(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '\\' && i + 1 < value.size() &&
            (value[i + 1] == 'n' || value[i + 1] == 'r')) {
            out += value[i + 1] == 'n' ? '\n' : '\r';
            ++i;
        } else {
            out += value[i];
        }
    }
    return out;
}

// Position of the quote closing the one at `open` (a backslash escapes the quote character), or
// npos.
std::size_t closing_quote(std::string_view text, std::size_t open) {
    const char quote = text[open];
    for (std::size_t i = open + 1; i < text.size(); ++i) {
        if (text[i] == '\\' && i + 1 < text.size() && text[i + 1] == quote) {
            ++i;
        } else if (text[i] == quote) {
            return i;
        }
    }
    return std::string_view::npos;
}

std::size_t line_end(std::string_view text, std::size_t from) {
    const auto end = text.find('\n', from);
    return end == std::string_view::npos ? text.size() : end;
}

// A quoted value ending at `close` counts only if nothing but a comment follows on its line.
bool only_comment_follows(std::string_view text, std::size_t close) {
    std::size_t i = close + 1;
    skip_blanks(text, i);
    return i >= text.size() || text[i] == '\n' || text[i] == '#';
}

}  // namespace

std::map<std::string, std::string> parse_dotenv(std::string_view raw) {
    const std::string text = normalize_newlines(raw);
    std::map<std::string, std::string> values;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t end = line_end(text, pos);
        std::size_t i = pos;
        skip_blanks(text, i);
        if (text.compare(i, 7, "export ") == 0 || text.compare(i, 7, "export\t") == 0) {
            i += 7;
            skip_blanks(text, i);
        }
        const std::size_t key_start = i;
        while (i < end && is_key_char(text[i])) {
            ++i;
        }
        const std::string key = text.substr(key_start, i - key_start);
        skip_blanks(text, i);
        if (key.empty() || i >= end || text[i] != '=') {
            pos = end + 1;
            continue;
        }
        ++i;
        skip_blanks(text, i);
        if (i < end && (text[i] == '"' || text[i] == '\'' || text[i] == '`')) {
            const auto close = closing_quote(text, i);
            if (close != std::string_view::npos && only_comment_follows(text, close)) {
                const std::string_view inner(text.data() + i + 1, close - i - 1);
                values[key] = text[i] == '"' ? expand_escapes(inner) : std::string(inner);
                pos = line_end(text, close) + 1;
                continue;
            }
        }
        std::string_view value(text.data() + i, end - i);
        value = value.substr(0, value.find('#'));
        values[key] = std::string(trim(value));
        pos = end + 1;
    }
    return values;
}

}  // namespace portcullis::config
