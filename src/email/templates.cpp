// See templates.hpp. The token stands alone on its line in both parts so that quoted-printable
// never folds it and a reader can copy it whole.
#include "email/templates.hpp"

namespace portcullis::email {

std::string_view to_string(EmailKind kind) {
    return kind == EmailKind::verification ? "verification" : "password-reset";
}

std::string describe_minutes(int minutes) {
    if (minutes % 60 == 0) {
        const int hours = minutes / 60;
        return std::to_string(hours) + (hours == 1 ? " hour" : " hours");
    }
    return std::to_string(minutes) + (minutes == 1 ? " minute" : " minutes");
}

RenderedEmail render(EmailKind kind, std::string_view token, int ttl_minutes) {
    const std::string expiry = describe_minutes(ttl_minutes);
    const std::string code(token);
    const bool verify = kind == EmailKind::verification;
    const std::string heading = verify ? "Verify Your Email" : "Password Reset";
    const std::string instruction = verify
                                        ? "Please verify your email address using the code below:"
                                        : "Use the reset code below to set a new password:";
    const std::string ignore =
        verify ? "If you did not create an account, you can ignore this email."
               : "If you did not request a password reset, you can ignore this email; your "
                 "password will not change.";

    RenderedEmail out;
    out.subject = verify ? "Verify your email address" : "Reset your password";
    out.text = heading + "\n\nHello,\n\n" + instruction + "\n\n" + code +
               "\n\nThis code expires in " + expiry + ".\n\n" + ignore + "\n";
    out.html =
        "<!DOCTYPE html>\n<html>\n<body style=\"font-family: sans-serif; color: #222;\">\n"
        "<h1>" +
        heading +
        "</h1>\n"
        "<p>Hello,</p>\n"
        "<p>" +
        instruction +
        "</p>\n"
        "<p style=\"font-family: monospace; font-size: 16px;\">\n" +
        code +
        "\n</p>\n"
        "<p>This code expires in " +
        expiry +
        ".</p>\n"
        "<p>" +
        ignore +
        "</p>\n"
        "<hr>\n<p style=\"font-size: 12px; color: #777;\">This is an automated email; please do "
        "not reply.</p>\n</body>\n</html>\n";
    return out;
}

}  // namespace portcullis::email
