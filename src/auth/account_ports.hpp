// Ports of the account-security features (issue #16): TOTP enrolments, recovery codes and pending
// MFA logins; password replacement (change, rehash); reading the audit trail. Postgres implements
// them in db/mfa_store.* and db/audit_store.*; calls run on the calling I/O thread and may throw
// util::Unavailable (503) for infrastructure failures.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/audit.hpp"
#include "auth/ports.hpp"

namespace portcullis::auth {

struct TotpEnrolment {
    std::string sealed_secret;  // TokenSealer output bound to the user id
    bool enabled = false;
    std::optional<std::int64_t> last_used_step;
};

// A pending MFA login found by its token, with what finishing it needs.
struct PendingMfaLogin {
    std::string challenge_id;
    User user;                    // password_hash included
    std::string password_digest;  // SHA-256 hex of the password hash when the challenge was made
    std::optional<TotpEnrolment> totp;
};

class MfaStore {
public:
    virtual ~MfaStore() = default;
    virtual Task<std::optional<TotpEnrolment>> enrolment(std::string_view user_id) = 0;
    // Starts (or restarts) an enrolment with a new sealed secret; false when MFA is enabled.
    virtual Task<bool> start_enrolment(std::string_view user_id, std::string_view sealed_secret,
                                       TimePoint now) = 0;
    // Enables the pending enrolment still holding `sealed_secret`, records `step` as used and
    // replaces the recovery codes, atomically; false when it is no longer that pending enrolment.
    virtual Task<bool> enable(std::string_view user_id, std::string_view sealed_secret,
                              std::int64_t step, const std::vector<std::string>& code_hashes,
                              TimePoint now) = 0;
    // Records `step` as the last used one when it is later than it (a code is accepted once);
    // false for a replay or when MFA is not enabled.
    virtual Task<bool> use_step(std::string_view user_id, std::int64_t step, TimePoint now) = 0;
    // Marks an unused recovery code used; false when none matches.
    virtual Task<bool> use_recovery_code(std::string_view user_id, std::string_view code_hash,
                                         TimePoint now) = 0;
    virtual Task<void> replace_recovery_codes(std::string_view user_id,
                                              const std::vector<std::string>& code_hashes,
                                              TimePoint now) = 0;
    // Removes the enrolment, its recovery codes and pending logins; false when there was none.
    virtual Task<bool> disable(std::string_view user_id) = 0;

    virtual Task<void> create_challenge(std::string_view id, std::string_view user_id,
                                        std::string_view token_hash,
                                        std::string_view password_digest, TimePoint expires,
                                        TimePoint now) = 0;
    // The unused, unexpired challenge with that token hash.
    virtual Task<std::optional<PendingMfaLogin>> find_challenge(std::string_view token_hash,
                                                                TimePoint now) = 0;
    // Marks it used; false when another request used it first (single use).
    virtual Task<bool> consume_challenge(std::string_view challenge_id, TimePoint now) = 0;
};

class CredentialStore {
public:
    virtual ~CredentialStore() = default;
    // Replaces the password while it is still `old_hash`, and revokes every session of the user
    // but `keep_session_id`, atomically; false when the password changed meanwhile.
    virtual Task<bool> change_password(std::string_view user_id, std::string_view old_hash,
                                       std::string_view new_hash, std::string_view keep_session_id,
                                       TimePoint now) = 0;
    // Replaces the password while it is still `old_hash` (a rehash: sessions untouched).
    virtual Task<bool> rehash_password(std::string_view user_id, std::string_view old_hash,
                                       std::string_view new_hash, TimePoint now) = 0;
};

struct StoredAuditEvent {
    std::int64_t id = 0;
    std::string type;
    std::string user_id;
    std::string email;
    std::string ip;
    std::string user_agent;
    std::string detail_json;  // a JSON object or empty
    TimePoint at;
};

// `event` as the JSON object GET /auth/events answers; `with_account` adds its userId and email
// (the operator's view, `portcullis audit list`). Defined in audit.cpp.
void append_event_json(std::string& out, const StoredAuditEvent& event, bool with_account);

class AuditReader {
public:
    virtual ~AuditReader() = default;
    // The user's newest `limit` events, newest first.
    virtual Task<std::vector<StoredAuditEvent>> recent(std::string_view user_id, int limit) = 0;
};

}  // namespace portcullis::auth
