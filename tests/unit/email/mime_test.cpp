// Pins the MIME text of outgoing email (contract 8.3, decisions B.12): sender parsing, RFC 2047
// display names, quoted-printable and the multipart/alternative layout.
#include "email/mime.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace portcullis::email {
namespace {
using ::testing::HasSubstr;

std::string decode_qp(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '=') {
            out.push_back(text[i]);
        } else if (text.compare(i + 1, 2, "\r\n") == 0) {
            i += 2;
        } else {
            out.push_back(static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16)));
            i += 2;
        }
    }
    return out;
}

TEST(EmailMime, ParsesBareAndNamedSenders) {
    const Sender bare = parse_sender("no-reply@example.com");
    EXPECT_EQ(bare.display_name, "");
    EXPECT_EQ(bare.address, "no-reply@example.com");
    const Sender named = parse_sender("Portcullis <no-reply@example.com>");
    EXPECT_EQ(named.display_name, "Portcullis");
    EXPECT_EQ(named.address, "no-reply@example.com");
    const Sender quoted = parse_sender(" \"Acme, Inc.\" <a@b.io> ");
    EXPECT_EQ(quoted.display_name, "Acme, Inc.");
    EXPECT_EQ(quoted.address, "a@b.io");
}

TEST(EmailMime, DisplayNamesArePlainQuotedOrEncodedWords) {
    EXPECT_EQ(header_phrase("Portcullis Team"), "Portcullis Team");
    EXPECT_EQ(header_phrase("Acme, Inc."), "\"Acme, Inc.\"");
    EXPECT_EQ(header_phrase("Say \"hi\""), "\"Say \\\"hi\\\"\"");
    EXPECT_EQ(header_phrase("Pörtcullis"), "=?UTF-8?B?UMO2cnRjdWxsaXM=?=");
}

TEST(EmailMime, LongNonAsciiNamesSplitIntoWordsOfAtMost75CharactersOnCharacterBoundaries) {
    std::string name;
    for (int i = 0; i < 40; ++i) name += "ü";  // 80 bytes of two-byte sequences
    const std::string phrase = header_phrase(name);
    std::istringstream words(phrase);
    std::string decoded_total;
    int count = 0;
    for (std::string word; words >> word;) {
        ++count;
        EXPECT_LE(word.size(), 75u) << word;
        ASSERT_TRUE(word.starts_with("=?UTF-8?B?") && word.ends_with("?=")) << word;
        // Every word decodes to whole characters: an even number of bytes here.
        const std::string b64 = word.substr(10, word.size() - 12);
        const std::size_t padding = b64.ends_with("==") ? 2 : b64.ends_with("=") ? 1 : 0;
        const std::size_t bytes = b64.size() / 4 * 3 - padding;
        EXPECT_EQ(bytes % 2, 0u) << word;
        decoded_total += std::string(bytes, 'x');
    }
    EXPECT_GE(count, 2);
    EXPECT_EQ(decoded_total.size(), name.size());
    EXPECT_THAT(phrase, HasSubstr("?=\r\n =?UTF-8?B?")) << "folded between words";
}

TEST(EmailMime, QuotedPrintableEscapesAndKeepsLinesShort) {
    EXPECT_EQ(quoted_printable("a=b"), "a=3Db");
    EXPECT_EQ(quoted_printable("é"), "=C3=A9");
    EXPECT_EQ(quoted_printable("line one\nline two"), "line one\r\nline two");
    EXPECT_EQ(quoted_printable("trailing \nx"), "trailing=20\r\nx") << "white space at a line end";
    EXPECT_EQ(quoted_printable("tab\t"), "tab=09");

    std::string long_line(200, 'a');
    long_line += "é=";
    const std::string encoded = quoted_printable(long_line);
    std::istringstream lines(encoded);
    for (std::string line; std::getline(lines, line);) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        EXPECT_LE(line.size(), 76u) << line;
    }
    EXPECT_EQ(decode_qp(encoded), long_line);
}

TEST(EmailMime, NoEscapeIsSplitBySoftBreaks) {
    // 74 letters then escapes: a soft break must fall between escapes, never inside one.
    const std::string text = std::string(74, 'x') + "ééééé";
    const std::string encoded = quoted_printable(text);
    EXPECT_EQ(decode_qp(encoded), text);
    EXPECT_THAT(encoded, HasSubstr("=\r\n=C3"));
}

TEST(EmailMime, DateIsRfc5322Utc) {
    const auto t = std::chrono::system_clock::from_time_t(1795918440);  // 2026-11-29 02:14:00 UTC
    EXPECT_EQ(rfc5322_date(t), "Sun, 29 Nov 2026 02:14:00 +0000");
}

TEST(EmailMime, MessageIsMultipartAlternativeWithBothPartsQuotedPrintable) {
    MessageParts parts;
    parts.from = parse_sender("Pörtcullis <no-reply@example.com>");
    parts.to = "user@example.com";
    parts.subject = "Verify your email address";
    parts.text = "Code:\nTOKEN_TOKEN\n";
    parts.html = "<p class=\"x\">TOKEN_TOKEN</p>\n";
    parts.message_id = "id-1@example.com";
    parts.boundary = "=_b";
    parts.date = std::chrono::system_clock::from_time_t(0);
    const std::string message = build_message(parts);

    EXPECT_THAT(message, ::testing::StartsWith(
                             "From: =?UTF-8?B?UMO2cnRjdWxsaXM=?= <no-reply@example.com>\r\n"
                             "To: user@example.com\r\n"
                             "Subject: Verify your email address\r\n"
                             "Date: Thu, 01 Jan 1970 00:00:00 +0000\r\n"
                             "Message-ID: <id-1@example.com>\r\n"
                             "MIME-Version: 1.0\r\n"
                             "Content-Type: multipart/alternative; boundary=\"=_b\"\r\n\r\n"));
    EXPECT_THAT(message, HasSubstr("--=_b\r\nContent-Type: text/plain; charset=utf-8\r\n"
                                   "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                                   "Code:\r\nTOKEN_TOKEN\r\n"));
    EXPECT_THAT(message, HasSubstr("--=_b\r\nContent-Type: text/html; charset=utf-8\r\n"
                                   "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
                                   "<p class=3D\"x\">TOKEN_TOKEN</p>\r\n"));
    EXPECT_TRUE(message.ends_with("\r\n--=_b--\r\n"));
    // Bare LFs never reach SMTP.
    for (std::size_t i = 0; i < message.size(); ++i) {
        if (message[i] == '\n') {
            ASSERT_GT(i, 0u);
            EXPECT_EQ(message[i - 1], '\r') << "at " << i;
        }
    }
}

TEST(EmailMime, SenderWithoutNameIsTheBareAddress) {
    MessageParts parts;
    parts.from = parse_sender("no-reply@example.com");
    parts.boundary = "b";
    EXPECT_THAT(build_message(parts), ::testing::StartsWith("From: no-reply@example.com\r\n"));
}

TEST(EmailMime, MessageIdsAndBoundariesAreFresh) {
    const std::string a = new_message_id("no-reply@mail.example.com");
    EXPECT_TRUE(a.ends_with("@mail.example.com")) << a;
    EXPECT_NE(a, new_message_id("no-reply@mail.example.com"));
    EXPECT_NE(new_boundary(), new_boundary());
    // `=_` cannot occur in quoted-printable output, so the boundary never collides with a body.
    EXPECT_TRUE(new_boundary().starts_with("=_"));
}

}  // namespace
}  // namespace portcullis::email
