// TOTP multi-factor authentication (issue #16) against the ports only: enrolment with a sealed
// secret and single-use recovery codes, disabling, regenerating codes, and the second step of a
// login. Every code check (login, enrolment, management) goes through one MFA failure counter per
// account, separate from the password lockout, so neither can lock the other (Keycloak #46164).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/account_ports.hpp"
#include "auth/service.hpp"
#include "auth/token_sealer.hpp"

namespace portcullis::auth {

inline constexpr int kRecoveryCodeCount = 10;
// The MFA counter is per account: the address field of the AttemptCounter port holds this.
inline constexpr std::string_view kAnyAddress = "*";

// 16 characters of Crockford's base32 (80 random bits, so a stored SHA-256 cannot be reversed by
// search), shown as `xxxx-xxxx-xxxx-xxxx` in lower case.
std::string new_recovery_code();
// The 16 canonical characters of a recovery code as a person may type it (any case, with or
// without dashes and spaces; `i`/`l` read as 1, `o` as 0); nullopt when it cannot be one.
std::optional<std::string> canonical_recovery_code(std::string_view input);
// What is stored: SHA-256 hex of the canonical form.
std::string recovery_code_hash(std::string_view canonical);

struct MfaSettings {
    std::string issuer = "Portcullis";  // the account label's issuer in authenticator apps
    std::chrono::seconds challenge_ttl{300};
};

struct TotpSetup {
    std::string secret;       // base32, for manual entry
    std::string otpauth_uri;  // what authenticator apps scan
    std::string qr_svg;       // the URI as a QR code (SVG)
};

struct RecoveryCodes {
    std::vector<std::string> codes;  // shown once; only their hashes are stored
};

class MfaService {
public:
    // `sealer` null: MFA is not configured (no AUTH_MFA_ENCRYPTION_KEY): enrolment and TOTP
    // checks answer mfa_not_configured, recovery codes still work. Everything passed in must
    // outlive the service. `attempts` is the MFA counter (its own table or key prefix).
    MfaService(MfaSettings settings, AuthService& auth, MfaStore& store, AttemptCounter& attempts,
               const TokenSealer* sealer);

    bool configured() const { return sealer_ != nullptr; }

    // Starts (or restarts) an enrolment; re-authenticates with the account's password.
    Task<Outcome<TotpSetup>> setup(const Caller& caller, std::string_view password,
                                   ClientInfo client);
    // The first valid code enables MFA and answers the recovery codes.
    Task<Outcome<RecoveryCodes>> confirm(const Caller& caller, std::string_view code,
                                         ClientInfo client);
    // Password and a second factor (a TOTP code or a recovery code).
    Task<Outcome<Done>> disable(const Caller& caller, std::string_view password,
                                std::string_view code, std::string_view recovery_code,
                                ClientInfo client);
    // A TOTP code; the old recovery codes stop working.
    Task<Outcome<RecoveryCodes>> regenerate(const Caller& caller, std::string_view code,
                                            ClientInfo client);

    // After a right password for an account with MFA: a single-use token, stored hashed, bound to
    // the account and its current password hash, valid for challenge_ttl.
    Task<std::string> begin_login(const User& user);
    // The account whose challenge `mfa_token` is, once `code` (TOTP) or `recovery_code` holds.
    Task<Outcome<User>> complete_login(std::string_view mfa_token, std::string_view code,
                                       std::string_view recovery_code, ClientInfo client);

private:
    Task<Outcome<Done>> verify(const User& user, const TotpEnrolment& totp, std::string_view code,
                               std::string_view recovery_code, ClientInfo client);
    std::string open_secret(const TotpEnrolment& totp, std::string_view user_id) const;
    RecoveryCodes fresh_codes(std::vector<std::string>& hashes) const;
    TimePoint now() const { return auth_.clock()(); }
    std::int64_t now_seconds() const;

    MfaSettings settings_;
    AuthService& auth_;
    MfaStore& store_;
    AttemptCounter& attempts_;
    const TokenSealer* sealer_;
};

}  // namespace portcullis::auth
