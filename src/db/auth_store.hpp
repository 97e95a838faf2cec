// Postgres implementations of the auth ports (design section 4): every statement parameterized
// and prepared once per connection, each use case one round trip where the schema allows it.
#pragma once

#include "auth/ports.hpp"
#include "db/database.hpp"

namespace portcullis::db {

class PgUserStore final : public auth::UserStore {
public:
    explicit PgUserStore(const Database& database) : database_(database) {}
    auth::Task<std::optional<auth::User>> find_by_email(std::string_view normalized_email) override;
    auth::Task<std::optional<auth::User>> find_by_id(std::string_view id) override;
    auth::Task<std::optional<auth::User>> create(std::string_view id,
                                                 std::string_view normalized_email,
                                                 std::string_view password_hash, bool verified,
                                                 const std::optional<auth::NewSession>& session,
                                                 auth::TimePoint now) override;

private:
    const Database& database_;
};

class PgSessionStore final : public auth::SessionStore {
public:
    explicit PgSessionStore(const Database& database) : database_(database) {}
    auth::Task<void> create(std::string_view user_id, const auth::NewSession& session,
                            auth::TimePoint now) override;
    auth::Task<auth::Principal> load_principal(std::string_view user_id,
                                               std::string_view session_id) override;
    auth::Task<auth::RotateResult> rotate(std::string_view session_id,
                                          std::string_view presented_hash,
                                          std::string_view new_hash, auth::TimePoint now) override;
    auth::Task<bool> revoke_if_current(std::string_view session_id, std::string_view current_hash,
                                       auth::TimePoint now) override;
    auth::Task<void> revoke_all(std::string_view user_id, auth::TimePoint now) override;
    auth::Task<std::vector<auth::SessionSummary>> list(std::string_view user_id) override;

private:
    const Database& database_;
};

// The LoginAttempt table (contract 5.7) with single-statement, race-free updates (decisions B.7).
class PgAttemptCounter final : public auth::AttemptCounter {
public:
    PgAttemptCounter(const Database& database, auth::LockoutPolicy policy)
        : database_(database), policy_(policy) {}
    auth::Task<bool> is_locked(std::string_view email, std::string_view ip,
                               auth::TimePoint now) override;
    auth::Task<bool> record_failure(std::string_view email, std::string_view ip,
                                    std::optional<std::string_view> user_id,
                                    auth::TimePoint now) override;
    auth::Task<void> clear(std::string_view email, std::string_view ip) override;
    auth::Task<void> clear_email(std::string_view email) override;

private:
    const Database& database_;
    auth::LockoutPolicy policy_;
};

}  // namespace portcullis::db
