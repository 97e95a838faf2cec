// See mfa.hpp. The order of checks in each use case puts the cheap refusals (not configured, wrong
// state) before the password's Argon2 work and the code checks, which count as MFA attempts.
#include "auth/mfa.hpp"

#include <array>
#include <cstdint>
#include <stdexcept>
#include <utility>

#include "auth/one_time_token.hpp"
#include "auth/qr_svg.hpp"
#include "auth/totp.hpp"
#include "util/random.hpp"
#include "util/strings.hpp"

namespace portcullis::auth {
namespace {

constexpr std::string_view kCrockford = "0123456789abcdefghjkmnpqrstvwxyz";
constexpr std::size_t kRecoveryCodeLength = 16;

std::string factor_detail(bool totp) {
    return totp ? R"({"factor":"totp"})" : R"({"factor":"recovery_code"})";
}

}  // namespace

std::string new_recovery_code() {
    std::array<unsigned char, 10> bytes{};
    util::random_bytes(bytes.data(), bytes.size());
    std::string out;
    std::uint32_t buffer = 0;
    int bits = 0;
    for (const unsigned char b : bytes) {
        buffer = (buffer << 8) | b;
        bits += 8;
        while (bits >= 5) {
            if (out.size() == 4 || out.size() == 9 || out.size() == 14) out.push_back('-');
            out.push_back(kCrockford[(buffer >> (bits - 5)) & 0x1fU]);
            bits -= 5;
        }
    }
    return out;
}

std::optional<std::string> canonical_recovery_code(std::string_view input) {
    std::string out;
    for (char c : input) {
        if (c == '-' || c == ' ') continue;
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c == 'i' || c == 'l') c = '1';
        if (c == 'o') c = '0';
        if (kCrockford.find(c) == std::string_view::npos) return std::nullopt;
        if (out.size() == kRecoveryCodeLength) return std::nullopt;
        out.push_back(c);
    }
    if (out.size() != kRecoveryCodeLength) return std::nullopt;
    return out;
}

std::string recovery_code_hash(std::string_view canonical) {
    return sha256_hex(canonical);
}

MfaService::MfaService(MfaSettings settings, AuthService& auth, MfaStore& store,
                       AttemptCounter& attempts, const TokenSealer* sealer)
    : settings_(std::move(settings)),
      auth_(auth),
      store_(store),
      attempts_(attempts),
      sealer_(sealer) {}

std::int64_t MfaService::now_seconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(now().time_since_epoch()).count();
}

std::string MfaService::open_secret(const TotpEnrolment& totp, std::string_view user_id) const {
    // Only sealed values: TokenSealer passes unversioned text through, which a secret never is.
    if (!totp.sealed_secret.starts_with(TokenSealer::kPrefix)) {
        throw std::runtime_error("a stored TOTP secret is not sealed");
    }
    auto secret = sealer_->open(totp.sealed_secret, user_id);
    if (!secret) {
        throw std::runtime_error(
            "a stored TOTP secret does not open: AUTH_MFA_ENCRYPTION_KEY is not the key it was "
            "sealed with");
    }
    return std::move(*secret);
}

RecoveryCodes MfaService::fresh_codes(std::vector<std::string>& hashes) const {
    RecoveryCodes codes;
    for (int i = 0; i < kRecoveryCodeCount; ++i) {
        codes.codes.push_back(new_recovery_code());
        hashes.push_back(recovery_code_hash(*canonical_recovery_code(codes.codes.back())));
    }
    return codes;
}

Task<Outcome<Done>> MfaService::verify(const User& user, const TotpEnrolment& totp,
                                       std::string_view code, std::string_view recovery_code,
                                       ClientInfo client) {
    const std::string email = user.email;
    if (co_await attempts_.is_locked(email, kAnyAddress, now())) {
        auth_.audit(AuditType::mfa_locked, user.id, email, client);
        co_return AuthError::mfa_locked;
    }
    const bool by_totp = !code.empty();
    bool accepted = false;
    if (by_totp) {
        if (sealer_ == nullptr) co_return AuthError::mfa_not_configured;
        const std::string secret = open_secret(totp, user.id);
        if (const auto step = totp::match(secret, code, now_seconds())) {
            // A code is accepted once: its step must be later than the last accepted one.
            accepted = co_await store_.use_step(user.id, *step, now());
        }
    } else if (const auto canonical = canonical_recovery_code(recovery_code)) {
        const std::string hash = recovery_code_hash(*canonical);
        accepted = co_await store_.use_recovery_code(user.id, hash, now());
    }
    if (!accepted) {
        const std::optional<std::string_view> user_id = user.id;
        co_await attempts_.record_failure(email, kAnyAddress, user_id, now());
        auth_.audit(AuditType::mfa_failed, user.id, email, client, factor_detail(by_totp));
        co_return AuthError::mfa_code_invalid;
    }
    co_await attempts_.clear(email, kAnyAddress);
    if (!by_totp) auth_.audit(AuditType::mfa_recovery_code_used, user.id, email, client);
    co_return Done{};
}

Task<Outcome<TotpSetup>> MfaService::setup(const Caller& caller, std::string_view password,
                                           ClientInfo client) {
    if (sealer_ == nullptr) co_return AuthError::mfa_not_configured;
    const auto existing = co_await store_.enrolment(caller.user_id);
    if (existing && existing->enabled) co_return AuthError::mfa_already_enabled;
    const auto confirmed = co_await auth_.confirm_password(caller, password, client.ip);
    if (const auto* error = std::get_if<AuthError>(&confirmed)) co_return *error;

    const std::string secret = totp::new_secret();
    const std::string sealed = sealer_->seal(secret, caller.user_id);
    if (!co_await store_.start_enrolment(caller.user_id, sealed, now())) {
        co_return AuthError::mfa_already_enabled;
    }
    TotpSetup setup;
    setup.secret = totp::base32_encode(secret);
    setup.otpauth_uri = totp::otpauth_uri(settings_.issuer, caller.email, setup.secret);
    setup.qr_svg = qr_svg(setup.otpauth_uri);
    co_return setup;
}

Task<Outcome<RecoveryCodes>> MfaService::confirm(const Caller& caller, std::string_view code,
                                                 ClientInfo client) {
    if (sealer_ == nullptr) co_return AuthError::mfa_not_configured;
    const auto enrolment = co_await store_.enrolment(caller.user_id);
    if (!enrolment) co_return AuthError::mfa_setup_required;
    if (enrolment->enabled) co_return AuthError::mfa_already_enabled;
    if (co_await attempts_.is_locked(caller.email, kAnyAddress, now())) {
        auth_.audit(AuditType::mfa_locked, caller.user_id, caller.email, client);
        co_return AuthError::mfa_locked;
    }
    const std::string secret = open_secret(*enrolment, caller.user_id);
    const auto step = totp::match(secret, code, now_seconds());
    if (!step) {
        const std::optional<std::string_view> user_id = caller.user_id;
        co_await attempts_.record_failure(caller.email, kAnyAddress, user_id, now());
        auth_.audit(AuditType::mfa_failed, caller.user_id, caller.email, client,
                    factor_detail(true));
        co_return AuthError::mfa_code_invalid;
    }
    std::vector<std::string> hashes;
    RecoveryCodes codes = fresh_codes(hashes);
    // A setup that replaced the secret since this one was read wins: confirm that one instead.
    if (!co_await store_.enable(caller.user_id, enrolment->sealed_secret, *step, hashes, now())) {
        co_return AuthError::mfa_setup_required;
    }
    co_await attempts_.clear(caller.email, kAnyAddress);
    auth_.audit(AuditType::mfa_enrolled, caller.user_id, caller.email, client);
    co_return codes;
}

Task<Outcome<Done>> MfaService::disable(const Caller& caller, std::string_view password,
                                        std::string_view code, std::string_view recovery_code,
                                        ClientInfo client) {
    const auto enrolment = co_await store_.enrolment(caller.user_id);
    if (!enrolment || !enrolment->enabled) co_return AuthError::mfa_not_enabled;
    const auto confirmed = co_await auth_.confirm_password(caller, password, client.ip);
    if (const auto* error = std::get_if<AuthError>(&confirmed)) co_return *error;
    const User& user = std::get<User>(confirmed);
    const auto verified = co_await verify(user, *enrolment, code, recovery_code, client);
    if (const auto* error = std::get_if<AuthError>(&verified)) co_return *error;
    co_await store_.disable(caller.user_id);
    auth_.audit(AuditType::mfa_disabled, caller.user_id, caller.email, client);
    co_return Done{};
}

Task<Outcome<RecoveryCodes>> MfaService::regenerate(const Caller& caller, std::string_view code,
                                                    ClientInfo client) {
    const auto enrolment = co_await store_.enrolment(caller.user_id);
    if (!enrolment || !enrolment->enabled) co_return AuthError::mfa_not_enabled;
    User user;
    user.id = caller.user_id;
    user.email = caller.email;
    const auto verified = co_await verify(user, *enrolment, code, {}, client);
    if (const auto* error = std::get_if<AuthError>(&verified)) co_return *error;
    std::vector<std::string> hashes;
    RecoveryCodes codes = fresh_codes(hashes);
    co_await store_.replace_recovery_codes(caller.user_id, hashes, now());
    auth_.audit(AuditType::mfa_recovery_codes_issued, caller.user_id, caller.email, client);
    co_return codes;
}

Task<std::string> MfaService::begin_login(const User& user) {
    std::string token = new_one_time_token();
    const std::string id = util::uuid_v4();
    const std::string token_hash = sha256_hex(token);
    const std::string password_digest = sha256_hex(user.password_hash);
    const TimePoint at = now();
    const TimePoint expires = at + settings_.challenge_ttl;
    co_await store_.create_challenge(id, user.id, token_hash, password_digest, expires, at);
    co_return token;
}

Task<Outcome<User>> MfaService::complete_login(std::string_view mfa_token, std::string_view code,
                                               std::string_view recovery_code, ClientInfo client) {
    const std::string token_hash = sha256_hex(mfa_token);
    const auto pending = co_await store_.find_challenge(token_hash, now());
    if (!pending) co_return AuthError::mfa_token_invalid;
    // Bound to the password check: a password changed or reset since voids the challenge.
    if (!util::constant_time_equals(pending->password_digest,
                                    sha256_hex(pending->user.password_hash))) {
        co_return AuthError::mfa_token_invalid;
    }
    // MFA disabled since: a new login will not ask for a second factor.
    if (!pending->totp || !pending->totp->enabled) co_return AuthError::mfa_token_invalid;
    const auto verified =
        co_await verify(pending->user, *pending->totp, code, recovery_code, client);
    if (const auto* error = std::get_if<AuthError>(&verified)) co_return *error;
    // Single use: of two requests racing with one token, one opens a session.
    if (!co_await store_.consume_challenge(pending->challenge_id, now())) {
        co_return AuthError::mfa_token_invalid;
    }
    co_return pending->user;
}

}  // namespace portcullis::auth
