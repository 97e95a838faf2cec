// Accept-Encoding negotiation and codings (contract 3.4, 3.9).
#include <gtest/gtest.h>

#include "http/codec.hpp"

namespace portcullis::http {
namespace {

TEST(NegotiateCoding, PrefersBrThenGzipThenDeflateOnEqualQuality) {
    EXPECT_EQ(negotiate_coding("gzip, deflate, br"), Coding::br);
    EXPECT_EQ(negotiate_coding("gzip, br"), Coding::br);
    EXPECT_EQ(negotiate_coding("deflate, gzip"), Coding::gzip);
    EXPECT_EQ(negotiate_coding("gzip, deflate"), Coding::gzip);
    EXPECT_EQ(negotiate_coding("deflate"), Coding::deflate);
    EXPECT_EQ(negotiate_coding("*"), Coding::br);
}

TEST(NegotiateCoding, HonoursQualityValues) {
    EXPECT_EQ(negotiate_coding("br;q=0.5, gzip;q=0.8"), Coding::gzip);
    EXPECT_EQ(negotiate_coding("gzip;q=0"), Coding::identity);
    EXPECT_EQ(negotiate_coding("*;q=0.1, gzip"), Coding::gzip);
    EXPECT_EQ(negotiate_coding("br;q=0, *"), Coding::gzip);
    EXPECT_EQ(negotiate_coding("identity;q=1, gzip;q=0.5"), Coding::identity);
}

TEST(NegotiateCoding, NothingAcceptableMeansIdentity) {
    EXPECT_EQ(negotiate_coding(""), Coding::identity);
    EXPECT_EQ(negotiate_coding("identity"), Coding::identity);
    EXPECT_EQ(negotiate_coding("compress, zstd"), Coding::identity);
    EXPECT_EQ(negotiate_coding(" , ;q=1"), Coding::identity);
}

TEST(ParseCoding, KnowsTheFourCodings) {
    EXPECT_EQ(parse_coding(""), Coding::identity);
    EXPECT_EQ(parse_coding("Identity"), Coding::identity);
    EXPECT_EQ(parse_coding(" GZIP "), Coding::gzip);
    EXPECT_EQ(parse_coding("deflate"), Coding::deflate);
    EXPECT_EQ(parse_coding("br"), Coding::br);
    EXPECT_FALSE(parse_coding("compress"));
    EXPECT_FALSE(parse_coding("gzip, br"));
}

TEST(Codec, EveryCodingRoundTrips) {
    const std::string text = std::string(5000, 'a') + "the end";
    for (auto coding : {Coding::br, Coding::gzip, Coding::deflate, Coding::identity}) {
        const auto packed = compress(coding, text);
        if (coding != Coding::identity) {
            EXPECT_LT(packed.size(), text.size() / 10);
        }
        const auto unpacked = decompress(coding, packed, 1 << 20);
        EXPECT_EQ(unpacked.status, InflateResult::Status::ok) << coding_name(coding);
        EXPECT_EQ(unpacked.data, text) << coding_name(coding);
    }
}

TEST(Codec, InflationStopsAtTheLimit) {
    const std::string bomb(1 << 20, '\0');
    for (auto coding : {Coding::br, Coding::gzip, Coding::deflate}) {
        const auto result = decompress(coding, compress(coding, bomb), 1000);
        EXPECT_EQ(result.status, InflateResult::Status::too_large) << coding_name(coding);
        EXPECT_LE(result.data.size(), 1000u + 16384u);
    }
    EXPECT_EQ(decompress(Coding::identity, "12345", 4).status, InflateResult::Status::too_large);
    EXPECT_EQ(decompress(Coding::identity, "1234", 4).status, InflateResult::Status::ok);
}

TEST(Codec, CorruptOrTruncatedInputIsReported) {
    for (auto coding : {Coding::br, Coding::gzip, Coding::deflate}) {
        EXPECT_EQ(decompress(coding, "not compressed at all", 1000).status,
                  InflateResult::Status::corrupt)
            << coding_name(coding);
        const auto packed = compress(coding, std::string(3000, 'x') + "tail");
        EXPECT_EQ(decompress(coding, packed.substr(0, packed.size() / 2), 100000).status,
                  InflateResult::Status::corrupt)
            << coding_name(coding);
    }
}

}  // namespace
}  // namespace portcullis::http
