// Building the RFC 5322 / MIME text of an outgoing email (contract 8.3, decisions B.12): sender
// parsing, RFC 2047 encoded display names, quoted-printable bodies and multipart/alternative.
// Pure functions, no I/O.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace portcullis::email {

// SMTP_FROM split into its parts: `no-reply@example.com` or `Name <no-reply@example.com>`.
struct Sender {
    std::string display_name;  // empty when none was given; quotes around it are removed
    std::string address;       // the bare address, also the envelope sender
};
Sender parse_sender(std::string_view smtp_from);

// Quoted-printable (RFC 2045 6.7) of UTF-8 text: line breaks become CRLF, lines are at most 76
// characters with soft breaks, and no `=XX` escape is split.
std::string quoted_printable(std::string_view text);

// A display name as a header phrase: plain when it is ASCII without specials, a quoted string when
// it is ASCII with specials, else RFC 2047 encoded words (`=?UTF-8?B?...?=`, each at most 75
// characters, never splitting a UTF-8 sequence).
std::string header_phrase(std::string_view display_name);

// `Sun, 29 Nov 2026 02:20:00 +0000` (RFC 5322 date-time, UTC).
std::string rfc5322_date(std::chrono::system_clock::time_point time);

struct MessageParts {
    Sender from;
    std::string to;
    std::string subject;
    std::string text;        // UTF-8, `\n` line breaks
    std::string html;        // UTF-8, `\n` line breaks
    std::string message_id;  // without angle brackets
    std::string boundary;
    std::chrono::system_clock::time_point date;
};

// The whole message with CRLF line endings, ready for SMTP DATA.
std::string build_message(const MessageParts& parts);

// A fresh `<random>@<domain of the sender>` id (without angle brackets).
std::string new_message_id(std::string_view sender_address);
// A fresh multipart boundary that cannot occur in quoted-printable text.
std::string new_boundary();

}  // namespace portcullis::email
