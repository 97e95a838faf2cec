// See mime.hpp.
#include "email/mime.hpp"

#include <ctime>

#include "util/random.hpp"
#include "util/strings.hpp"

namespace portcullis::email {
namespace {
constexpr char kHex[] = "0123456789ABCDEF";
constexpr std::size_t kQpLine = 76;  // RFC 2045: encoded lines are at most 76 characters

bool is_ascii_printable(std::string_view text) {
    for (const char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7e) return false;
    }
    return true;
}

// RFC 5322 `specials`: a phrase holding one of them must be quoted.
bool has_specials(std::string_view text) {
    return text.find_first_of("()<>[]:;@\\,.\"") != std::string_view::npos;
}

std::string base64(std::string_view bytes) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    std::size_t i = 0;
    const auto byte = [&](std::size_t k) {
        return static_cast<unsigned>(static_cast<unsigned char>(bytes[k]));
    };
    for (; i + 3 <= bytes.size(); i += 3) {
        const unsigned n = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += kAlphabet[(n >> 6) & 63];
        out += kAlphabet[n & 63];
    }
    if (const std::size_t rest = bytes.size() - i; rest > 0) {
        const unsigned n = (byte(i) << 16) | (rest == 2 ? byte(i + 1) << 8 : 0U);
        out += kAlphabet[(n >> 18) & 63];
        out += kAlphabet[(n >> 12) & 63];
        out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

// Length of the UTF-8 sequence starting with `lead` (1 for stray continuation bytes).
std::size_t utf8_length(unsigned char lead) {
    if (lead >= 0xf0) return 4;
    if (lead >= 0xe0) return 3;
    if (lead >= 0xc0) return 2;
    return 1;
}

// Encodes one line (without its line break) into `out`, with soft breaks.
void qp_line(std::string_view line, std::string& out) {
    std::size_t column = 0;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const auto c = static_cast<unsigned char>(line[i]);
        const bool last = i + 1 == line.size();
        std::string piece;
        // Trailing white space would be stripped in transit, so it is encoded at a line end.
        if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !last)) {
            piece = static_cast<char>(c);
        } else {
            piece = {'=', kHex[c >> 4], kHex[c & 0x0f]};
        }
        // Room is kept for the `=` of a soft break (76 including it).
        if (column + piece.size() > kQpLine - 1) {
            out += "=\r\n";
            column = 0;
        }
        out += piece;
        column += piece.size();
    }
}
}  // namespace

Sender parse_sender(std::string_view smtp_from) {
    const auto trimmed = util::trim(smtp_from);
    const auto open = trimmed.rfind('<');
    if (!trimmed.ends_with('>') || open == std::string_view::npos) {
        return Sender{{}, std::string(trimmed)};
    }
    std::string_view name = util::trim(trimmed.substr(0, open));
    if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
        name = name.substr(1, name.size() - 2);
    }
    return Sender{std::string(name),
                  std::string(trimmed.substr(open + 1, trimmed.size() - open - 2))};
}

std::string quoted_printable(std::string_view text) {
    std::string out;
    std::size_t start = 0;
    for (;;) {
        const auto end = text.find('\n', start);
        std::string_view line =
            text.substr(start, end == std::string_view::npos ? text.npos : end - start);
        if (line.ends_with('\r')) line.remove_suffix(1);
        qp_line(line, out);
        if (end == std::string_view::npos) break;
        out += "\r\n";
        start = end + 1;
    }
    return out;
}

std::string header_phrase(std::string_view display_name) {
    if (is_ascii_printable(display_name)) {
        if (!has_specials(display_name)) return std::string(display_name);
        std::string quoted = "\"";
        for (const char c : display_name) {
            if (c == '"' || c == '\\') quoted += '\\';
            quoted += c;
        }
        return quoted + '"';
    }
    // At most 45 bytes per word: 60 base64 characters plus the 12 of `=?UTF-8?B??=` = 72 <= 75.
    constexpr std::size_t kWordBytes = 45;
    std::string out;
    std::size_t i = 0;
    while (i < display_name.size()) {
        std::size_t end = i;
        while (end < display_name.size()) {
            const std::size_t next =
                end + utf8_length(static_cast<unsigned char>(display_name[end]));
            if (next - i > kWordBytes) break;
            end = std::min(next, display_name.size());
        }
        if (end == i) end = std::min(i + kWordBytes, display_name.size());
        if (!out.empty()) out += "\r\n ";  // folded: encoded words are separated by white space
        out += "=?UTF-8?B?" + base64(display_name.substr(i, end - i)) + "?=";
        i = end;
    }
    return out;
}

std::string rfc5322_date(std::chrono::system_clock::time_point time) {
    const std::time_t t = std::chrono::system_clock::to_time_t(time);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[64];
    const auto n = std::strftime(buffer, sizeof buffer, "%a, %d %b %Y %H:%M:%S +0000", &tm);
    return std::string(buffer, n);
}

std::string build_message(const MessageParts& parts) {
    std::string from;
    if (parts.from.display_name.empty()) {
        from = parts.from.address;
    } else {
        from = header_phrase(parts.from.display_name) + " <" + parts.from.address + ">";
    }
    const std::string subject =
        is_ascii_printable(parts.subject) ? parts.subject : header_phrase(parts.subject);
    std::string out;
    out += "From: " + from + "\r\n";
    out += "To: " + parts.to + "\r\n";
    out += "Subject: " + subject + "\r\n";
    out += "Date: " + rfc5322_date(parts.date) + "\r\n";
    out += "Message-ID: <" + parts.message_id + ">\r\n";
    out += "MIME-Version: 1.0\r\n";
    out += "Content-Type: multipart/alternative; boundary=\"" + parts.boundary + "\"\r\n";
    out += "\r\n";
    const auto part = [&](std::string_view type, std::string_view body) {
        out += "--" + parts.boundary + "\r\n";
        out += "Content-Type: ";
        out += type;
        out += "; charset=utf-8\r\n";
        out += "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
        out += quoted_printable(body);
        out += "\r\n";
    };
    part("text/plain", parts.text);
    part("text/html", parts.html);
    out += "--" + parts.boundary + "--\r\n";
    return out;
}

std::string new_message_id(std::string_view sender_address) {
    const auto at = sender_address.rfind('@');
    const std::string_view domain = at == std::string_view::npos
                                        ? std::string_view("portcullis.local")
                                        : sender_address.substr(at + 1);
    return util::uuid_v4() + "@" + std::string(domain);
}

std::string new_boundary() {
    // `_` and `=` together never appear in quoted-printable output as `=_`: `=` is always followed
    // by two hex digits or a line break there.
    return "=_portcullis_" + util::uuid_v4();
}

}  // namespace portcullis::email
