// Ports of the one-time-token flows (contract 5.6, decisions B.10, C.1, C.2): the store that
// writes tokens together with their outbox rows, and the outbox events the metrics count.
// Postgres implements the store in db/token_store.*; calls run on the calling I/O thread and may
// throw util::Unavailable (503) for infrastructure failures.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "auth/ports.hpp"

namespace portcullis::auth {

// Which email a queued request asks for.
enum class EmailRequest { verification, password_reset };

enum class TokenCheck { valid, invalid, expired };

struct ResetOutcome {
    TokenCheck check = TokenCheck::invalid;
    // The account's stored email when valid (to clear its lockout, and the blocklist's
    // context-specific word).
    std::string email;
};

class OneTimeTokenStore {
public:
    virtual ~OneTimeTokenStore() = default;
    // Registration with verification required (contract 4.3): the unverified user, a fresh
    // verification token and its outbox row, atomically. nullopt when the email is taken.
    virtual Task<std::optional<User>> create_unverified_user(std::string_view id,
                                                             std::string_view normalized_email,
                                                             std::string_view password_hash,
                                                             TimePoint now) = 0;
    // Queues "an email of this kind was requested for this address": one row, the same work
    // whether or not the account exists (decisions B.10). The sender looks the account up.
    virtual Task<void> request_email(EmailRequest kind, std::string_view email, TimePoint now) = 0;
    // Consumes a verification token (contract 5.6); an expired one is marked used.
    virtual Task<TokenCheck> verify_email(std::string_view token_hash, TimePoint now) = 0;
    // Looks at a reset token without consuming a valid one; an expired one is marked used. The
    // account's email comes with a valid one.
    virtual Task<ResetOutcome> check_reset(std::string_view token_hash, TimePoint now) = 0;
    // Consumes the reset token, replaces the password and revokes every session, atomically.
    virtual Task<ResetOutcome> reset_password(std::string_view token_hash,
                                              std::string_view password_hash, TimePoint now) = 0;
};

// What the outbox sender reports (decisions C.4); implemented by the metrics. Called on the
// sender's I/O thread; must be cheap and must not throw.
class OutboxEvents {
public:
    virtual ~OutboxEvents() = default;
    virtual void email_sent() = 0;
    virtual void email_failed() = 0;  // one failed attempt (it may be retried)
    virtual void email_dead() = 0;    // gave up after the last attempt
    virtual void pending_emails(std::int64_t count) = 0;
};

}  // namespace portcullis::auth
