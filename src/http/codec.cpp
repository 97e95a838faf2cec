// See codec.hpp.
#include "http/codec.hpp"

#include <brotli/decode.h>
#include <brotli/encode.h>
#include <zlib.h>

#include <array>
#include <cstdlib>
#include <stdexcept>

#include "util/strings.hpp"

namespace portcullis::http {
namespace {
constexpr int kBrotliQuality = 4;  // what the reference's compression middleware uses

std::string zlib_compress(std::string_view data, int window_bits) {
    z_stream zs{};
    if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) !=
        Z_OK) {
        throw std::runtime_error("deflateInit2 failed");
    }
    std::string out;
    out.resize(deflateBound(&zs, static_cast<uLong>(data.size())));
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    const int rc = deflate(&zs, Z_FINISH);
    out.resize(zs.total_out);
    deflateEnd(&zs);
    if (rc != Z_STREAM_END) throw std::runtime_error("deflate failed");
    return out;
}

InflateResult zlib_decompress(std::string_view data, int window_bits, std::size_t limit) {
    InflateResult result;
    z_stream zs{};
    if (inflateInit2(&zs, window_bits) != Z_OK) {
        result.status = InflateResult::Status::corrupt;
        return result;
    }
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    zs.avail_in = static_cast<uInt>(data.size());
    std::array<char, 16384> chunk{};
    int rc = Z_OK;
    while (rc != Z_STREAM_END) {
        zs.next_out = reinterpret_cast<Bytef*>(chunk.data());
        zs.avail_out = static_cast<uInt>(chunk.size());
        rc = inflate(&zs, Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END) {
            result.status = InflateResult::Status::corrupt;
            break;
        }
        result.data.append(chunk.data(), chunk.size() - zs.avail_out);
        if (result.data.size() > limit) {
            result.status = InflateResult::Status::too_large;
            break;
        }
        if (rc == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
            result.status = InflateResult::Status::corrupt;  // truncated stream
            break;
        }
    }
    inflateEnd(&zs);
    return result;
}

std::string brotli_compress(std::string_view data) {
    std::size_t size = BrotliEncoderMaxCompressedSize(data.size());
    if (size == 0) size = data.size() + 1024;
    std::string out(size, '\0');
    if (!BrotliEncoderCompress(kBrotliQuality, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT, data.size(),
                               reinterpret_cast<const uint8_t*>(data.data()), &size,
                               reinterpret_cast<uint8_t*>(out.data()))) {
        throw std::runtime_error("brotli compression failed");
    }
    out.resize(size);
    return out;
}

InflateResult brotli_decompress(std::string_view data, std::size_t limit) {
    InflateResult result;
    BrotliDecoderState* state = BrotliDecoderCreateInstance(nullptr, nullptr, nullptr);
    if (state == nullptr) {
        result.status = InflateResult::Status::corrupt;
        return result;
    }
    std::size_t avail_in = data.size();
    const auto* next_in = reinterpret_cast<const uint8_t*>(data.data());
    std::array<uint8_t, 16384> chunk{};
    while (true) {
        std::size_t avail_out = chunk.size();
        uint8_t* next_out = chunk.data();
        const auto rc = BrotliDecoderDecompressStream(state, &avail_in, &next_in, &avail_out,
                                                      &next_out, nullptr);
        result.data.append(reinterpret_cast<const char*>(chunk.data()), chunk.size() - avail_out);
        if (result.data.size() > limit) {
            result.status = InflateResult::Status::too_large;
            break;
        }
        if (rc == BROTLI_DECODER_RESULT_SUCCESS) break;
        if (rc == BROTLI_DECODER_RESULT_NEEDS_MORE_OUTPUT) continue;
        result.status = InflateResult::Status::corrupt;  // error or truncated input
        break;
    }
    BrotliDecoderDestroyInstance(state);
    return result;
}

struct Preference {
    Coding coding;
    double q = -1;         // -1: not mentioned
    int specificity = -1;  // 1 exact name, 0 via `*`
};
}  // namespace

std::string_view coding_name(Coding coding) {
    switch (coding) {
        case Coding::br:
            return "br";
        case Coding::gzip:
            return "gzip";
        case Coding::deflate:
            return "deflate";
        case Coding::identity:
            return "identity";
    }
    return "identity";
}

std::optional<Coding> parse_coding(std::string_view value) {
    const auto v = util::trim(value);
    if (v.empty() || util::iequals(v, "identity")) return Coding::identity;
    if (util::iequals(v, "gzip")) return Coding::gzip;
    if (util::iequals(v, "deflate")) return Coding::deflate;
    if (util::iequals(v, "br")) return Coding::br;
    return std::nullopt;
}

Coding negotiate_coding(std::string_view accept_encoding) {
    std::array<Preference, 4> prefs{
        {{Coding::br}, {Coding::gzip}, {Coding::deflate}, {Coding::identity}}};
    std::string_view rest = accept_encoding;
    while (!rest.empty()) {
        const auto comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);

        std::string_view name = item;
        double q = 1.0;
        if (const auto semi = item.find(';'); semi != std::string_view::npos) {
            name = item.substr(0, semi);
            std::string_view params = item.substr(semi + 1);
            while (!params.empty()) {
                const auto next = params.find(';');
                const auto param = util::trim(params.substr(0, next));
                if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
                    const std::string number(param.substr(2));
                    char* end = nullptr;
                    const double parsed = std::strtod(number.c_str(), &end);
                    q = (end != number.c_str()) ? parsed : 0;
                }
                params =
                    next == std::string_view::npos ? std::string_view{} : params.substr(next + 1);
            }
        }
        name = util::trim(name);
        if (name.empty()) continue;
        for (auto& p : prefs) {
            int specificity = -1;
            if (util::iequals(name, coding_name(p.coding)))
                specificity = 1;
            else if (name == "*")
                specificity = 0;
            if (specificity < 0 || specificity < p.specificity) continue;
            if (specificity > p.specificity || q > p.q) {
                p.q = q;
                p.specificity = specificity;
            }
        }
    }
    Coding best = Coding::identity;
    double best_q = 0;
    for (const auto& p : prefs) {  // preference order: first wins ties
        if (p.coding == Coding::identity) continue;
        if (p.q > best_q) {
            best = p.coding;
            best_q = p.q;
        }
    }
    // `identity` preferred strictly above every compressed coding means: do not compress.
    if (prefs[3].q > best_q) return Coding::identity;
    return best;
}

std::string compress(Coding coding, std::string_view data) {
    switch (coding) {
        case Coding::br:
            return brotli_compress(data);
        case Coding::gzip:
            return zlib_compress(data, 15 + 16);
        case Coding::deflate:
            return zlib_compress(data, 15);
        case Coding::identity:
            return std::string(data);
    }
    return std::string(data);
}

InflateResult decompress(Coding coding, std::string_view data, std::size_t limit) {
    switch (coding) {
        case Coding::br:
            return brotli_decompress(data, limit);
        case Coding::gzip:
            return zlib_decompress(data, 15 + 16, limit);
        case Coding::deflate:
            return zlib_decompress(data, 15, limit);
        case Coding::identity:
            break;
    }
    InflateResult result;
    if (data.size() > limit)
        result.status = InflateResult::Status::too_large;
    else
        result.data.assign(data);
    return result;
}

}  // namespace portcullis::http
