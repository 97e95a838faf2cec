// JWT signing and verification with jsonwebtoken's checks (contract 5.2, decisions B.15; EdDSA
// and secret rotation from issue #15); see jwt.hpp.
#include "auth/jwt.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <atomic>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <utility>

#include "util/json_text.hpp"
#include "util/strings.hpp"

namespace portcullis::auth {

namespace {

// base64url of `{"alg":"HS256","typ":"JWT"}`: the header jsonwebtoken emits, byte for byte.
constexpr std::string_view kHeaderPart = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";

// Real tokens are a few hundred bytes; anything far larger is hostile, and refusing it up front
// bounds the HMAC, base64 and JSON work per request.
constexpr std::size_t kMaxTokenSize = 16 * 1024;

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int decode_char(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

std::string signature_part(std::string_view secret, std::string_view signing_input) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int length = 0;
    if (secret.size() > static_cast<std::size_t>(std::numeric_limits<int>::max())) {
        throw std::runtime_error("JWT secret too long");
    }
    // A non-null key pointer even for an empty secret: OpenSSL treats a null key as "reuse".
    static constexpr unsigned char kEmpty = 0;
    const void* key = secret.empty() ? static_cast<const void*>(&kEmpty) : secret.data();
    if (HMAC(EVP_sha256(), key, static_cast<int>(secret.size()),
             reinterpret_cast<const unsigned char*>(signing_input.data()), signing_input.size(),
             mac.data(), &length) == nullptr) {
        throw std::runtime_error("HMAC-SHA256 failed");
    }
    return base64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), length));
}

struct Parts {
    std::string_view header;
    std::string_view payload;
    std::string_view signature;
    std::string_view signing_input;  // header.payload
};

std::optional<Parts> split(std::string_view token) {
    if (token.size() > kMaxTokenSize) return std::nullopt;
    const auto first = token.find('.');
    if (first == std::string_view::npos) return std::nullopt;
    const auto second = token.find('.', first + 1);
    if (second == std::string_view::npos) return std::nullopt;
    if (token.find('.', second + 1) != std::string_view::npos) return std::nullopt;
    Parts parts;
    parts.header = token.substr(0, first);
    parts.payload = token.substr(first + 1, second - first - 1);
    parts.signature = token.substr(second + 1);
    parts.signing_input = token.substr(0, second);
    if (parts.header.empty() || parts.payload.empty()) return std::nullopt;
    return parts;
}

// The JSON object encoded in one token part, or nullopt (bad base64url, bad JSON, not an object).
std::optional<boost::json::object> decode_object(std::string_view part) {
    const auto text = base64url_decode(part);
    if (!text) return std::nullopt;
    boost::system::error_code ec;
    boost::json::value value = boost::json::parse(*text, ec);
    if (ec || !value.is_object()) return std::nullopt;
    return std::move(value.as_object());
}

// -1, 0 or 1 as `now` is below, equal to or above the JSON number `claim`.
int compare_time(std::int64_t now, const boost::json::value& claim) {
    if (claim.is_int64()) {
        const std::int64_t v = claim.get_int64();
        return now < v ? -1 : now > v ? 1 : 0;
    }
    if (claim.is_uint64()) {
        // The parser only yields uint64 for values beyond int64, so `now` is below it.
        const std::uint64_t v = claim.get_uint64();
        if (now < 0) return -1;
        const auto n = static_cast<std::uint64_t>(now);
        return n < v ? -1 : n > v ? 1 : 0;
    }
    const double v = claim.get_double();
    const auto n = static_cast<double>(now);
    return n < v ? -1 : n > v ? 1 : 0;
}

// A JSON number as whole seconds (fractions floored, clamped to the int64 range).
std::int64_t to_seconds(const boost::json::value& claim) {
    if (claim.is_int64()) return claim.get_int64();
    if (claim.is_uint64()) {
        const std::uint64_t v = claim.get_uint64();
        constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
        return v > kMax ? std::numeric_limits<std::int64_t>::max() : static_cast<std::int64_t>(v);
    }
    const double v = std::floor(claim.get_double());
    // 2^63 as a double; anything at or beyond it (or below -2^63) saturates.
    constexpr double kLimit = 9223372036854775808.0;
    if (v >= kLimit) return std::numeric_limits<std::int64_t>::max();
    if (v < -kLimit) return std::numeric_limits<std::int64_t>::min();
    return static_cast<std::int64_t>(v);
}

struct Checked {
    std::optional<boost::json::object> payload;
    JwtError error = JwtError::malformed;
};

// Whether `parts` carry a valid signature by a key of `keys` whose algorithm is the header's.
// HS256 tries the current secret, then the previous ones (each compared in constant time); EdDSA
// takes the Ed25519 key its `kid` names, and only that one.
bool signature_valid(const JwtKeys& keys, const boost::json::object& header, const Parts& parts,
                     JwtError& error) {
    const auto* alg = header.if_contains("alg");
    if (alg == nullptr || !alg->is_string()) {
        error = JwtError::wrong_algorithm;
        return false;
    }
    if (alg->get_string() == "HS256") {
        // The signature part is compared as text against the canonical encoding, as jws does;
        // this also refuses non-canonical base64url spellings of a correct MAC.
        bool valid = util::constant_time_equals(parts.signature,
                                                signature_part(keys.secret, parts.signing_input));
        for (const auto& previous : keys.previous) {
            valid = valid || util::constant_time_equals(
                                 parts.signature, signature_part(previous, parts.signing_input));
        }
        if (!valid) error = JwtError::bad_signature;
        return valid;
    }
    if (alg->get_string() == "EdDSA" && !keys.ed25519.empty()) {
        const auto* kid = header.if_contains("kid");
        const Ed25519Key* key = nullptr;
        for (const auto& candidate : keys.ed25519) {
            if (kid != nullptr && kid->is_string() && kid->get_string() == candidate.kid()) {
                key = &candidate;
            }
        }
        const auto signature = base64url_decode(parts.signature);
        const bool valid = key != nullptr && signature &&
                           base64url_encode(*signature) == parts.signature &&
                           key->verify(parts.signing_input, *signature);
        if (!valid) error = JwtError::bad_signature;
        return valid;
    }
    // Pinned (decisions B.15): `none`, HS384, RS256 and EdDSA without a key are refused before
    // any signature is looked at.
    error = JwtError::wrong_algorithm;
    return false;
}

// Everything jsonwebtoken's verify() checks, in its order: structure, algorithm, signature,
// claim types, nbf, exp. The claims a route needs are checked by the callers afterwards.
Checked verify_token(const JwtKeys& keys, std::string_view token, std::int64_t now) {
    Checked out;
    const auto parts = split(token);
    if (!parts) return out;
    const auto header = decode_object(parts->header);
    if (!header) return out;
    if (!signature_valid(keys, *header, *parts, out.error)) return out;
    auto payload = decode_object(parts->payload);
    if (!payload) return out;
    for (const std::string_view name : {"iat", "nbf", "exp"}) {
        const auto* claim = payload->if_contains(name);
        if (claim != nullptr && !claim->is_number()) return out;
    }
    if (const auto* nbf = payload->if_contains("nbf"); nbf && compare_time(now, *nbf) < 0) {
        out.error = JwtError::not_yet_valid;
        return out;
    }
    if (const auto* exp = payload->if_contains("exp"); exp && compare_time(now, *exp) >= 0) {
        out.error = JwtError::expired;
        return out;
    }
    out.payload = std::move(payload);
    return out;
}

std::optional<std::string> get_string(const boost::json::object& payload, std::string_view name) {
    const auto* value = payload.if_contains(name);
    if (value == nullptr || !value->is_string()) return std::nullopt;
    return std::string(value->get_string());
}

// `iat` and `exp` in whole seconds when both are present (their types were checked already).
struct Times {
    std::int64_t iat = 0;
    std::int64_t exp = 0;
};
std::optional<Times> times_of(const boost::json::object& payload) {
    const auto* iat = payload.if_contains("iat");
    const auto* exp = payload.if_contains("exp");
    if (iat == nullptr || exp == nullptr) return std::nullopt;
    return Times{to_seconds(*iat), to_seconds(*exp)};
}

// Hands out codec ids that are never reused, so a cache entry of a destroyed codec is never taken
// for a later one's.
std::atomic<std::uint64_t> g_next_codec_id{1};

// Verified EdDSA access tokens of one I/O thread: a direct-mapped table indexed by a hash of the
// signature, each slot holding the whole token (compared in constant time on a hit) and its
// claims. Bounded (kCacheSlots entries, allocated on first use); an entry is only used while its
// token's nbf and exp still allow it; a collision simply replaces the older entry.
struct CachedToken {
    std::uint64_t codec = 0;
    std::string token;
    AccessClaims claims;
    std::optional<std::int64_t> not_before;
};
constexpr std::size_t kCacheSlots = 1024;

CachedToken& cache_slot(std::string_view token) {
    thread_local std::vector<CachedToken> slots;
    if (slots.empty()) slots.resize(kCacheSlots);
    const std::string_view signature = token.substr(token.rfind('.') + 1);
    return slots[std::hash<std::string_view>{}(signature) % kCacheSlots];
}

// `{"sub":…,"<session_claim>":…,"iat":…,"exp":…` (left open for more claims).
std::string payload_start(std::string_view user_id, std::string_view session_claim,
                          std::string_view session_id, std::int64_t iat, std::int64_t exp) {
    std::string payload;
    payload.reserve(160 + user_id.size() + session_id.size());
    payload.append("{\"sub\":");
    util::append_json_string(payload, user_id);
    payload.append(",\"");
    payload.append(session_claim);
    payload.append("\":");
    util::append_json_string(payload, session_id);
    payload.append(",\"iat\":");
    util::append_json_number(payload, iat);
    payload.append(",\"exp\":");
    util::append_json_number(payload, exp);
    return payload;
}

std::string hs256_token(const std::string& secret, std::string_view payload) {
    std::string token(kHeaderPart);
    token.push_back('.');
    token.append(base64url_encode(payload));
    const std::string signature = signature_part(secret, token);
    token.push_back('.');
    token.append(signature);
    return token;
}

std::string eddsa_token(const Ed25519Key& key, std::string_view header, std::string_view payload) {
    std::string token(header);
    token.push_back('.');
    token.append(base64url_encode(payload));
    const std::string signature = base64url_encode(key.sign(token));
    token.push_back('.');
    token.append(signature);
    return token;
}

// Signature, algorithm and time checks, then `extract` for the claims of one token kind. Nothing
// escapes: an allocation failure inside the JSON parser or the MAC is just an invalid token.
template <typename Claims, typename Extract>
Verified<Claims> verify_claims(const JwtKeys& keys, std::string_view token,
                               std::int64_t now_seconds, Extract extract) {
    Verified<Claims> out;
    try {
        auto checked = verify_token(keys, token, now_seconds);
        if (!checked.payload) {
            out.error = checked.error;
            return out;
        }
        out.claims = extract(*checked.payload);
        if (!out.claims) out.error = JwtError::missing_claims;
    } catch (...) {
        out.claims.reset();
        out.error = JwtError::malformed;
    }
    return out;
}

std::optional<AccessClaims> access_claims(const boost::json::object& payload) {
    // `payload.sub ?? payload.userId`: a present, non-null `sub` wins even when unusable.
    const auto* sub = payload.if_contains("sub");
    const bool use_sub = sub != nullptr && !sub->is_null();
    auto user_id = get_string(payload, use_sub ? "sub" : "userId");
    auto session_id = get_string(payload, "sessionId");
    const auto times = times_of(payload);
    if (!user_id || user_id->empty() || !session_id || !times) return std::nullopt;
    return AccessClaims{std::move(*user_id), std::move(*session_id), times->iat, times->exp};
}

}  // namespace

JwtCodec::JwtCodec(JwtKeys keys) : keys_(std::move(keys)), id_(g_next_codec_id++) {
    for (const auto& key : keys_.ed25519) {
        eddsa_headers_.push_back(
            base64url_encode(R"({"alg":"EdDSA","typ":"JWT","kid":")" + key.kid() + R"("})"));
    }
}

JwtCodec::~JwtCodec() = default;

std::string JwtCodec::sign_access(std::string_view user_id, std::string_view session_id,
                                  std::int64_t iat, std::int64_t exp) const {
    std::string payload = payload_start(user_id, "sessionId", session_id, iat, exp);
    payload.push_back('}');
    if (keys_.ed25519.empty()) return hs256_token(keys_.secret, payload);
    return eddsa_token(keys_.ed25519.back(), eddsa_headers_.back(), payload);
}

std::string JwtCodec::sign_refresh(std::string_view user_id, std::string_view session_id,
                                   std::int64_t iat, std::int64_t exp, std::string_view jti) const {
    std::string payload = payload_start(user_id, "sid", session_id, iat, exp);
    payload.append(",\"jti\":");
    util::append_json_string(payload, jti);
    payload.push_back('}');
    return hs256_token(keys_.secret, payload);
}

Verified<AccessClaims> JwtCodec::verify_access(std::string_view token,
                                               std::int64_t now_seconds) const {
    // Only EdDSA verification is worth remembering: an HMAC costs less than the lookup.
    const bool remember = !keys_.ed25519.empty() && token.size() <= kMaxTokenSize &&
                          token.find('.') != std::string_view::npos;
    if (remember) {
        const CachedToken& hit = cache_slot(token);
        if (hit.codec == id_ && util::constant_time_equals(hit.token, token) &&
            (!hit.not_before || now_seconds >= *hit.not_before) && now_seconds < hit.claims.exp) {
            return {hit.claims, JwtError::malformed};
        }
    }
    std::optional<std::int64_t> not_before;
    auto verified = verify_claims<AccessClaims>(
        keys_, token, now_seconds,
        [&not_before](const boost::json::object& payload) -> std::optional<AccessClaims> {
            if (const auto* nbf = payload.if_contains("nbf")) not_before = to_seconds(*nbf);
            return access_claims(payload);
        });
    if (remember && verified.ok()) {
        CachedToken& slot = cache_slot(token);
        slot.codec = id_;
        slot.token.assign(token);
        slot.claims = *verified.claims;
        slot.not_before = not_before;
    }
    return verified;
}

Verified<RefreshClaims> JwtCodec::verify_refresh(std::string_view token,
                                                 std::int64_t now_seconds) const {
    return verify_claims<RefreshClaims>(
        keys_, token, now_seconds,
        [](const boost::json::object& payload) -> std::optional<RefreshClaims> {
            auto user_id = get_string(payload, "sub");
            auto session_id = get_string(payload, "sid");
            const auto times = times_of(payload);
            if (!user_id || user_id->empty() || !session_id || !times) return std::nullopt;
            return RefreshClaims{std::move(*user_id), std::move(*session_id), times->iat,
                                 times->exp, get_string(payload, "jti").value_or(std::string())};
        });
}

std::optional<std::string_view> bearer_token(std::string_view authorization) {
    constexpr std::string_view kScheme = "bearer";
    if (authorization.size() <= kScheme.size() ||
        !util::iequals(authorization.substr(0, kScheme.size()), kScheme) ||
        authorization[kScheme.size()] != ' ') {
        return std::nullopt;
    }
    const auto token = util::trim(authorization.substr(kScheme.size() + 1));
    if (token.empty()) return std::nullopt;
    return token;
}

std::optional<std::string> peek_session_id(std::string_view token) {
    try {
        const auto parts = split(token);
        // jwt.decode() needs a JSON header too before it looks at the payload.
        if (!parts || !decode_object(parts->header)) return std::nullopt;
        const auto payload = decode_object(parts->payload);
        if (!payload) return std::nullopt;
        return get_string(*payload, "sid");
    } catch (...) {
        return std::nullopt;
    }
}

std::int64_t expiry_from(std::int64_t iat, std::int64_t lifetime_ms) {
    std::int64_t seconds = lifetime_ms / 1000;
    // C++ division truncates toward zero; floor for negative lifetimes.
    if (lifetime_ms % 1000 != 0 && lifetime_ms < 0) --seconds;
    return iat + seconds;
}

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::size_t i = 0;
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
    for (; i + 3 <= bytes.size(); i += 3) {
        const unsigned v = (unsigned{byte(i)} << 16) | (unsigned{byte(i + 1)} << 8) | byte(i + 2);
        out.push_back(kAlphabet[(v >> 18) & 0x3fU]);
        out.push_back(kAlphabet[(v >> 12) & 0x3fU]);
        out.push_back(kAlphabet[(v >> 6) & 0x3fU]);
        out.push_back(kAlphabet[v & 0x3fU]);
    }
    const std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        const unsigned v = unsigned{byte(i)} << 16;
        out.push_back(kAlphabet[(v >> 18) & 0x3fU]);
        out.push_back(kAlphabet[(v >> 12) & 0x3fU]);
    } else if (rest == 2) {
        const unsigned v = (unsigned{byte(i)} << 16) | (unsigned{byte(i + 1)} << 8);
        out.push_back(kAlphabet[(v >> 18) & 0x3fU]);
        out.push_back(kAlphabet[(v >> 12) & 0x3fU]);
        out.push_back(kAlphabet[(v >> 6) & 0x3fU]);
    }
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() / 4 * 3 + 2);
    unsigned buffer = 0;
    int bits = 0;
    for (const char c : text) {
        const int v = decode_char(c);
        if (v < 0) return std::nullopt;
        buffer = ((buffer << 6) | static_cast<unsigned>(v)) & 0xffffU;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((buffer >> bits) & 0xffU));
        }
    }
    // Leftover bits of a short final group are ignored, as Node's decoder does.
    return out;
}

}  // namespace portcullis::auth
