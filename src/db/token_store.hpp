// Postgres implementation of the one-time-token port (contract 5.6, decisions B.10, C.2): each
// use case is one statement, so token, user and outbox changes commit together.
#pragma once

#include "auth/token_ports.hpp"
#include "auth/token_sealer.hpp"
#include "db/database.hpp"

namespace portcullis::db {

class PgOneTimeTokenStore final : public auth::OneTimeTokenStore {
public:
    // `sealer` encrypts the tokens written to the outbox; it must outlive the store.
    PgOneTimeTokenStore(const Database& database, int verification_ttl_minutes,
                        const auth::TokenSealer& sealer)
        : database_(database),
          verification_ttl_minutes_(verification_ttl_minutes),
          sealer_(sealer) {}

    auth::Task<std::optional<auth::User>> create_unverified_user(std::string_view id,
                                                                 std::string_view normalized_email,
                                                                 std::string_view password_hash,
                                                                 auth::TimePoint now) override;
    auth::Task<void> request_email(auth::EmailRequest kind, std::string_view email,
                                   auth::TimePoint now) override;
    auth::Task<auth::TokenCheck> verify_email(std::string_view token_hash,
                                              auth::TimePoint now) override;
    auth::Task<auth::ResetOutcome> check_reset(std::string_view token_hash,
                                               auth::TimePoint now) override;
    auth::Task<auth::ResetOutcome> reset_password(std::string_view token_hash,
                                                  std::string_view password_hash,
                                                  auth::TimePoint now) override;

private:
    const Database& database_;
    int verification_ttl_minutes_;
    const auth::TokenSealer& sealer_;
};

// Contract 5.6: a token collision (unique tokenHash) is retried with a new token this many times.
inline constexpr int kTokenAttempts = 5;

}  // namespace portcullis::db
