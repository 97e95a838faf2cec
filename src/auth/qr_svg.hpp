// A QR code as a small SVG document (libqrencode, Debian's libqrencode4), so an authenticator app
// can scan the `otpauth://` URI of a TOTP enrolment straight from the page that shows it.
#pragma once

#include <string>
#include <string_view>

namespace portcullis::auth {

// `text` encoded at error-correction level M, dark modules as one path, a 4-module quiet zone,
// one user unit per module (scale it with CSS). Throws std::runtime_error when libqrencode fails
// (text too long for any QR version).
std::string qr_svg(std::string_view text);

}  // namespace portcullis::auth
