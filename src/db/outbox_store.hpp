// The email outbox table (decisions C.2) for the background sender: leased claims with
// FOR UPDATE SKIP LOCKED, token creation for queued requests (decisions B.10) and the outcome of
// each attempt. A claim pushes `availableAt` forward by a lease and increments `attempts`; every
// later update names the attempt it belongs to, so a sender whose lease ran out and whose row was
// claimed again cannot overwrite the newer attempt's outcome. Tokens are stored sealed
// (auth::TokenSealer, bound to the row id) and erased when the row leaves the queue.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "auth/model.hpp"
#include "auth/ports.hpp"
#include "auth/token_sealer.hpp"
#include "db/database.hpp"

namespace portcullis::db {

struct OutboxRow {
    std::string id;
    std::string kind;                  // "verification" or "password-reset"
    std::string email;                 // recipient, or the requested address while no token exists
    std::optional<std::string> token;  // raw token (opened); absent for a queued request
    // The row holds a token that does not open (sealed under another secret, or altered): it has
    // to be released and replaced; `token` is then absent.
    bool token_unreadable = false;
    int attempts = 0;                    // this claim's attempt number (1-based)
    std::optional<std::string> user_id;  // the account, once known
};

// The token a queued request resolved to.
struct ResolvedRequest {
    std::string recipient;  // the account's email as stored
    std::string token;
    std::string user_id;
};

class PgOutbox {
public:
    // `sealer` opens and seals the rows' tokens; it must outlive the outbox.
    PgOutbox(const Database& database, int verification_ttl_minutes, int reset_ttl_minutes,
             const auth::TokenSealer& sealer)
        : database_(database),
          verification_ttl_minutes_(verification_ttl_minutes),
          reset_ttl_minutes_(reset_ttl_minutes),
          sealer_(sealer) {}

    // Up to `limit` due rows, leased until `lease_until`, their tokens opened.
    auth::Task<std::vector<OutboxRow>> claim(auth::TimePoint now, auth::TimePoint lease_until,
                                             int limit);
    // For a queued request: finds the account (reset: email compared case-insensitively;
    // verification: an unverified account with that normalized email), voids its older unused
    // tokens of the kind, creates a new one and stores it (sealed) in the row, in one statement.
    // nullopt when no account qualifies (or the row is no longer this attempt's).
    auth::Task<std::optional<ResolvedRequest>> resolve(const OutboxRow& row, auth::TimePoint now);

    // When the row's token expires, while it is still unused; nullopt when it is used or gone.
    auth::Task<std::optional<auth::TimePoint>> token_expiry(const OutboxRow& row);
    // Drops the row's token so resolve() issues a fresh one (a retry long after the first try).
    auth::Task<void> release_token(const OutboxRow& row, auth::TimePoint now);

    // The row leaves the queue; its token is cleared.
    auth::Task<void> mark_sent(const OutboxRow& row, auth::TimePoint now);
    auth::Task<void> mark_skipped(const OutboxRow& row, auth::TimePoint now);
    auth::Task<void> mark_dead(const OutboxRow& row, std::string_view error, auth::TimePoint now);
    // Another attempt at `retry_at`.
    auth::Task<void> mark_retry(const OutboxRow& row, std::string_view error,
                                auth::TimePoint retry_at, auth::TimePoint now);

    auth::Task<std::int64_t> pending();
    // Deletes finished rows (sent, skipped, dead) last touched before `before`.
    auth::Task<void> purge(auth::TimePoint before);

    int ttl_minutes(std::string_view kind) const {
        return kind == "verification" ? verification_ttl_minutes_ : reset_ttl_minutes_;
    }

private:
    const Database& database_;
    int verification_ttl_minutes_;
    int reset_ttl_minutes_;
    const auth::TokenSealer& sealer_;
};

}  // namespace portcullis::db
