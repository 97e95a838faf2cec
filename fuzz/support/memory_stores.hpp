// In-memory auth ports for the request fuzzer (a test fixture, not a product store): users,
// sessions, lockout counting and one-time tokens with the rules of contract 5.3-5.7, enough for
// every route to run its whole path. One instance serves one fuzz input (reset() between inputs
// keeps memory flat across millions of executions).
#pragma once

#include <map>
#include <string>

#include "auth/ports.hpp"
#include "auth/token_ports.hpp"

namespace portcullis::fuzz {

class MemoryStores final : public auth::UserStore,
                           public auth::SessionStore,
                           public auth::AttemptCounter,
                           public auth::OneTimeTokenStore {
public:
    void reset();

    // UserStore
    auth::Task<std::optional<auth::User>> find_by_email(std::string_view email) override;
    auth::Task<std::optional<auth::User>> find_by_id(std::string_view id) override;
    auth::Task<std::optional<auth::User>> create(std::string_view id, std::string_view email,
                                                 std::string_view password_hash, bool verified,
                                                 const std::optional<auth::NewSession>& session,
                                                 auth::TimePoint now) override;
    // SessionStore
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
    // AttemptCounter (a fixed policy: 5 failures lock)
    auth::Task<bool> is_locked(std::string_view email, std::string_view ip,
                               auth::TimePoint now) override;
    auth::Task<bool> record_failure(std::string_view email, std::string_view ip,
                                    std::optional<std::string_view> user_id,
                                    auth::TimePoint now) override;
    auth::Task<void> clear(std::string_view email, std::string_view ip) override;
    auth::Task<void> clear_email(std::string_view email) override;
    // OneTimeTokenStore
    auth::Task<std::optional<auth::User>> create_unverified_user(std::string_view id,
                                                                 std::string_view email,
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
    struct Session {
        std::string user_id;
        std::string token_hash;
        bool valid = true;
        auth::TimePoint created;
        auth::TimePoint updated;
    };
    std::map<std::string, auth::User, std::less<>> users_;  // by id
    std::map<std::string, Session, std::less<>> sessions_;
    std::map<std::string, int, std::less<>> failures_;  // by email + '\n' + ip
};

}  // namespace portcullis::fuzz
