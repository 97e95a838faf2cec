// The narrow interfaces the auth service needs (design section 8, "small ports"). Postgres
// implements them in db/; tests may implement them in memory. Every call runs on the calling
// I/O thread and may throw util::Unavailable (503) for infrastructure failures.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/model.hpp"

namespace portcullis::auth {

template <typename T>
using Task = boost::asio::awaitable<T>;

struct NewSession {
    std::string id;
    std::string token_hash;  // SHA-256 hex of the refresh JWT
};

class UserStore {
public:
    virtual ~UserStore() = default;
    virtual Task<std::optional<User>> find_by_email(std::string_view normalized_email) = 0;
    virtual Task<std::optional<User>> find_by_id(std::string_view id) = 0;
    // Inserts the user (role USER) and, when given, its first session, atomically. nullopt when
    // the email is taken (also when another request took it a moment ago).
    virtual Task<std::optional<User>> create(std::string_view id, std::string_view normalized_email,
                                             std::string_view password_hash, bool verified,
                                             const std::optional<NewSession>& session,
                                             TimePoint now) = 0;
};

// The caller of an authenticated request, loaded in one round trip (design section 5).
struct Principal {
    std::optional<User> user;
    bool session_found = false;  // a row with that id exists and belongs to the user
    bool session_valid = false;
};

enum class RotateOutcome { rotated, session_missing, session_revoked, token_mismatch };
struct RotateResult {
    RotateOutcome outcome = RotateOutcome::session_missing;
    std::string owner_user_id;  // set unless the session is missing
    // With token_mismatch: the hash of the session's current token and when it was set, which
    // the refresh grace window compares with the successor it derives (issue #15).
    std::string current_hash;
    TimePoint rotated_at{};
};

class SessionStore {
public:
    virtual ~SessionStore() = default;
    virtual Task<void> create(std::string_view user_id, const NewSession& session,
                              TimePoint now) = 0;
    virtual Task<Principal> load_principal(std::string_view user_id,
                                           std::string_view session_id) = 0;
    // Compare-and-swap of the session's token hash: only the holder of the current token wins a
    // race; the outcome says why a rotation did not happen (`now` becomes the session's
    // updatedAt).
    virtual Task<RotateResult> rotate(std::string_view session_id, std::string_view presented_hash,
                                      std::string_view new_hash, TimePoint now) = 0;
    // valid=false, token="" for the session, only while `current_hash` is its token.
    virtual Task<bool> revoke_if_current(std::string_view session_id, std::string_view current_hash,
                                         TimePoint now) = 0;
    virtual Task<void> revoke_all(std::string_view user_id, TimePoint now) = 0;
    virtual Task<std::vector<SessionSummary>> list(std::string_view user_id) = 0;
};

// Lockout bookkeeping per (email, IP) with the rules of contract 5.7, as one atomic operation
// each (decisions B.7). Implemented by the LoginAttempt table or by Redis (decisions A.2).
struct LockoutPolicy {
    int max_attempts = 5;
    std::chrono::minutes lockout{15};
    std::chrono::minutes window{15};
};

class AttemptCounter {
public:
    virtual ~AttemptCounter() = default;
    // True while a lock is active. An expired lock or an attempt older than the window is
    // forgotten (the row/key is deleted).
    virtual Task<bool> is_locked(std::string_view email, std::string_view ip, TimePoint now) = 0;
    // Records a failure; true when this failure set the lock.
    virtual Task<bool> record_failure(std::string_view email, std::string_view ip,
                                      std::optional<std::string_view> user_id, TimePoint now) = 0;
    virtual Task<void> clear(std::string_view email, std::string_view ip) = 0;
    // Forgets every (email, IP) record of the email: a successful password reset unlocks the
    // account from everywhere (decisions B.7).
    virtual Task<void> clear_email(std::string_view email) = 0;
};

enum class LoginOutcome { success, invalid_credentials, locked };

// What the auth service reports for operators (decisions C.4); implemented by the metrics.
// Called on I/O threads; must be cheap and must not throw.
class AuthEvents {
public:
    virtual ~AuthEvents() = default;
    virtual void login(LoginOutcome outcome) = 0;
    virtual void lockout() = 0;        // a failure that set a lock
    virtual void refresh_reuse() = 0;  // a rotated-out refresh token came back
};

}  // namespace portcullis::auth
