// Fuzz target: the inputs of the email writer (email/mime.hpp): SMTP_FROM forms (those the
// configuration accepts, as at start), display names, subjects and bodies of any bytes. Building
// never crashes; quoted-printable lines stay within 76 characters of 7-bit text; encoded words stay
// within 75; every line of the message ends in CRLF and no header line is longer than the RFC 5322
// limit of 998.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "config/parse.hpp"
#include "email/mime.hpp"
#include "fuzz_check.hpp"

namespace {
using namespace portcullis;

std::string_view next_part(std::string_view& rest) {
    const auto nul = rest.find('\0');
    const auto part = rest.substr(0, nul);
    rest = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);
    return part;
}

void check_crlf_lines(std::string_view text, std::size_t limit) {
    std::size_t start = 0;
    while (start < text.size()) {
        const auto end = text.find("\r\n", start);
        FUZZ_CHECK(end != std::string_view::npos);
        FUZZ_CHECK(end - start <= limit);
        for (std::size_t i = start; i < end; ++i) FUZZ_CHECK(text[i] != '\r' && text[i] != '\n');
        start = end + 2;
    }
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view rest(reinterpret_cast<const char*>(data), size);
    // Subjects are the templates' own short lines and SMTP_FROM an operator's setting; neither is
    // folded, so their length is kept to what they can be (longer would only exceed the header
    // line limit checked below, which the writer does not claim to handle).
    const auto from = next_part(rest).substr(0, 256);
    const auto subject = next_part(rest).substr(0, 256);
    const auto text = next_part(rest);
    const auto html = rest;

    // Configuration refuses any other SMTP_FROM (config::is_valid_sender), so only these reach
    // the writer; parsing the rest must not crash either.
    const bool accepted = config::is_valid_sender(from);
    const auto parsed_sender = email::parse_sender(from);
    const auto sender =
        accepted ? parsed_sender : email::parse_sender("Portcullis <no-reply@example.com>");
    const std::string qp = email::quoted_printable(text);
    for (const char c : qp) FUZZ_CHECK(static_cast<unsigned char>(c) < 128);
    if (!qp.empty()) check_crlf_lines(qp + "\r\n", 76);

    // Text that is not ASCII is sent as encoded words of at most 75 characters each.
    const std::string phrase = email::header_phrase(subject);
    const bool ascii = std::all_of(subject.begin(), subject.end(),
                                   [](char c) { return static_cast<unsigned char>(c) < 128; });
    if (!ascii) {
        FUZZ_CHECK(phrase.starts_with("=?UTF-8?B?"));
        std::size_t start = 0;
        while (start < phrase.size()) {
            auto end = phrase.find("?=", start);
            FUZZ_CHECK(end != std::string::npos);
            end += 2;
            FUZZ_CHECK(end - start <= 75);
            while (end < phrase.size() && (phrase[end] == ' ' || phrase[end] == '\r' ||
                                           phrase[end] == '\n' || phrase[end] == '\t')) {
                ++end;
            }
            start = end;
        }
    }

    email::MessageParts parts;
    parts.from = sender;
    parts.to = "user@example.com";
    parts.subject = std::string(subject);
    parts.text = std::string(text);
    parts.html = std::string(html);
    parts.message_id = "id@example.com";
    parts.boundary = email::new_boundary();
    parts.date = std::chrono::system_clock::time_point{std::chrono::seconds(1'800'000'000)};
    const std::string message = email::build_message(parts);
    const auto headers_end = message.find("\r\n\r\n");
    FUZZ_CHECK(headers_end != std::string::npos);
    check_crlf_lines(message.substr(0, headers_end + 2), 998);
    return 0;
}
