// The texts of the two emails (contract 8.3) with the real token lifetime (decisions B.12).
#pragma once

#include <string>
#include <string_view>

namespace portcullis::email {

enum class EmailKind { verification, password_reset };

// "verification" / "password-reset": the `emailType` of log lines and the outbox `kind` column.
std::string_view to_string(EmailKind kind);

struct RenderedEmail {
    std::string subject;
    std::string text;
    std::string html;
};

// `90 minutes`, `1 hour`, `2 hours`, `1 minute`.
std::string describe_minutes(int minutes);

// The message for `kind` holding the raw token and its lifetime in minutes.
RenderedEmail render(EmailKind kind, std::string_view token, int ttl_minutes);

}  // namespace portcullis::email
