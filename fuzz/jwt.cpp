// Fuzz target: JWT parsing and verification (auth/jwt.hpp, HS256 pinned) and the Bearer header.
// Any bytes, as an access token, a refresh token and an Authorization value, are refused without
// a crash unless they are a token the codec signed; claims the fuzzer chooses survive a sign and
// verify round trip; base64url decoding round-trips.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "auth/jwt.hpp"
#include "fuzz_check.hpp"
#include "util/strings.hpp"

namespace {
using namespace portcullis;
constexpr std::string_view kSecret = "fuzz-secret-0123456789abcdef-0123456789";
constexpr std::int64_t kNow = 1'800'000'000;
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auth::JwtCodec codec{std::string(kSecret)};

    // Hostile tokens: verification refuses them (forging a MAC by chance does not happen).
    const auto access = codec.verify_access(input, kNow);
    const auto refresh = codec.verify_refresh(input, kNow);
    FUZZ_CHECK(!access.ok() && !refresh.ok());
    (void)auth::peek_session_id(input);
    if (const auto token = auth::bearer_token(input)) {
        FUZZ_CHECK(!token->empty() && input.size() > 7);
        FUZZ_CHECK(!codec.verify_access(*token, kNow).ok());
    }

    // base64url: decoding then encoding gives the canonical text back.
    if (const auto decoded = auth::base64url_decode(input)) {
        const auto again = auth::base64url_decode(auth::base64url_encode(*decoded));
        FUZZ_CHECK(again && *again == *decoded);
    }

    // Claims from the input (split at the first NUL) survive a round trip through the codec: any
    // text that JSON can carry (ids are UUIDs in practice).
    const auto split = input.find('\0');
    const std::string_view user = input.substr(0, split);
    const std::string_view session = split == std::string_view::npos ? "" : input.substr(split + 1);
    if (!user.empty() && user.size() < 1024 && session.size() < 1024 && util::is_valid_utf8(user) &&
        util::is_valid_utf8(session)) {
        const auto signed_access = codec.sign_access(user, session, kNow - 10, kNow + 900);
        const auto verified = codec.verify_access(signed_access, kNow);
        FUZZ_CHECK(verified.ok());
        FUZZ_CHECK(verified.claims->user_id == user && verified.claims->session_id == session);
        FUZZ_CHECK(verified.claims->exp == kNow + 900);
        FUZZ_CHECK(!codec.verify_refresh(signed_access, kNow).ok());  // kinds do not mix
        const auto signed_refresh = codec.sign_refresh(user, session, kNow, kNow + 60, "jti");
        const auto rotated = codec.verify_refresh(signed_refresh, kNow);
        FUZZ_CHECK(rotated.ok() && rotated.claims->session_id == session);
        FUZZ_CHECK(auth::peek_session_id(signed_refresh) == std::string(session));
        FUZZ_CHECK(!codec.verify_refresh(signed_refresh, kNow + 60).ok());  // expired at exp
    }
    return 0;
}
