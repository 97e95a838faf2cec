// Postgres implementations of the account-security ports (issue #16): TOTP enrolments, recovery
// codes and pending MFA logins (MfaTotp, MfaRecoveryCode, MfaChallenge), and password replacement
// for a change or a rehash. Every statement parameterized and prepared once per connection; each
// use case one round trip.
#pragma once

#include "auth/account_ports.hpp"
#include "db/database.hpp"

namespace portcullis::db {

class PgMfaStore final : public auth::MfaStore {
public:
    explicit PgMfaStore(const Database& database) : database_(database) {}

    auth::Task<std::optional<auth::TotpEnrolment>> enrolment(std::string_view user_id) override;
    auth::Task<bool> start_enrolment(std::string_view user_id, std::string_view sealed_secret,
                                     auth::TimePoint now) override;
    auth::Task<bool> enable(std::string_view user_id, std::string_view sealed_secret,
                            std::int64_t step, const std::vector<std::string>& code_hashes,
                            auth::TimePoint now) override;
    auth::Task<bool> use_step(std::string_view user_id, std::int64_t step,
                              auth::TimePoint now) override;
    auth::Task<bool> use_recovery_code(std::string_view user_id, std::string_view code_hash,
                                       auth::TimePoint now) override;
    auth::Task<void> replace_recovery_codes(std::string_view user_id,
                                            const std::vector<std::string>& code_hashes,
                                            auth::TimePoint now) override;
    auth::Task<bool> disable(std::string_view user_id) override;
    auth::Task<void> create_challenge(std::string_view id, std::string_view user_id,
                                      std::string_view token_hash, std::string_view password_digest,
                                      auth::TimePoint expires, auth::TimePoint now) override;
    auth::Task<std::optional<auth::PendingMfaLogin>> find_challenge(std::string_view token_hash,
                                                                    auth::TimePoint now) override;
    auth::Task<bool> consume_challenge(std::string_view challenge_id, auth::TimePoint now) override;

private:
    const Database& database_;
};

class PgCredentialStore final : public auth::CredentialStore {
public:
    explicit PgCredentialStore(const Database& database) : database_(database) {}

    auth::Task<bool> change_password(std::string_view user_id, std::string_view old_hash,
                                     std::string_view new_hash, std::string_view keep_session_id,
                                     auth::TimePoint now) override;
    auth::Task<bool> rehash_password(std::string_view user_id, std::string_view old_hash,
                                     std::string_view new_hash, auth::TimePoint now) override;

private:
    const Database& database_;
};

// `{"a","b"}`: a Postgres text[] literal of values that need no escaping beyond quotes (hex
// digests, ids). Throws std::invalid_argument for a value holding `"`, `\` or a control byte.
std::string text_array(const std::vector<std::string>& values);

}  // namespace portcullis::db
