// See qr_svg.hpp. Runs of dark modules in a row become one rectangle of the path, which keeps the
// document around 4 KB for an enrolment URI.
#include "auth/qr_svg.hpp"

#include <qrencode.h>

#include <memory>
#include <stdexcept>

namespace portcullis::auth {
namespace {

constexpr int kQuietZone = 4;

struct QrFree {
    void operator()(QRcode* code) const { QRcode_free(code); }
};

}  // namespace

std::string qr_svg(std::string_view text) {
    const std::string data(text);
    // 8-bit mode keeps the URI byte for byte (QR's alphanumeric mode has no lower case).
    std::unique_ptr<QRcode, QrFree> code(
        QRcode_encodeData(static_cast<int>(data.size()),
                          reinterpret_cast<const unsigned char*>(data.data()), 0, QR_ECLEVEL_M));
    if (!code) throw std::runtime_error("QR encoding failed");
    const int width = code->width;
    const int size = width + 2 * kQuietZone;
    std::string svg = R"(<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 )" +
                      std::to_string(size) + " " + std::to_string(size) +
                      R"(" shape-rendering="crispEdges"><rect width=")" + std::to_string(size) +
                      R"(" height=")" + std::to_string(size) + R"(" fill="#fff"/><path d=")";
    for (int y = 0; y < width; ++y) {
        int x = 0;
        while (x < width) {
            // The low bit of each byte is the module's colour (1 = dark).
            if ((code->data[y * width + x] & 1U) == 0) {
                ++x;
                continue;
            }
            const int start = x;
            while (x < width && (code->data[y * width + x] & 1U) != 0) ++x;
            svg += 'M' + std::to_string(start + kQuietZone) + ' ' + std::to_string(y + kQuietZone) +
                   'h' + std::to_string(x - start) + "v1h-" + std::to_string(x - start) + 'z';
        }
    }
    svg += R"(" fill="#000"/></svg>)";
    return svg;
}

}  // namespace portcullis::auth
