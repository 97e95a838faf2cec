// See memory_stores.hpp.
#include "support/memory_stores.hpp"

namespace portcullis::fuzz {
namespace {
constexpr int kMaxAttempts = 5;

std::string attempt_key(std::string_view email, std::string_view ip) {
    std::string key(email);
    key += '\n';
    key += ip;
    return key;
}
}  // namespace

void MemoryStores::reset() {
    users_.clear();
    sessions_.clear();
    failures_.clear();
}

auth::Task<std::optional<auth::User>> MemoryStores::find_by_email(std::string_view email) {
    for (const auto& [id, user] : users_) {
        if (user.email == email) co_return user;
    }
    co_return std::nullopt;
}

auth::Task<std::optional<auth::User>> MemoryStores::find_by_id(std::string_view id) {
    const auto it = users_.find(id);
    if (it == users_.end()) co_return std::nullopt;
    co_return it->second;
}

auth::Task<std::optional<auth::User>> MemoryStores::create(
    std::string_view id, std::string_view email, std::string_view password_hash, bool verified,
    const std::optional<auth::NewSession>& session, auth::TimePoint now) {
    for (const auto& [existing_id, user] : users_) {
        if (user.email == email) co_return std::nullopt;
    }
    auth::User user{
        std::string(id), std::string(email), std::string(password_hash), auth::Role::user, {}};
    if (verified) user.email_verified_at = now;
    users_[user.id] = user;
    if (session) sessions_[session->id] = {user.id, session->token_hash, true, now, now};
    co_return user;
}

auth::Task<void> MemoryStores::create(std::string_view user_id, const auth::NewSession& session,
                                      auth::TimePoint now) {
    sessions_[session.id] = {std::string(user_id), session.token_hash, true, now, now};
    co_return;
}

auth::Task<auth::Principal> MemoryStores::load_principal(std::string_view user_id,
                                                         std::string_view session_id) {
    auth::Principal principal;
    const auto user = users_.find(user_id);
    if (user == users_.end()) co_return principal;
    principal.user = user->second;
    const auto session = sessions_.find(session_id);
    principal.session_found = session != sessions_.end() && session->second.user_id == user_id;
    principal.session_valid = principal.session_found && session->second.valid;
    co_return principal;
}

auth::Task<auth::RotateResult> MemoryStores::rotate(std::string_view session_id,
                                                    std::string_view presented_hash,
                                                    std::string_view new_hash,
                                                    auth::TimePoint now) {
    const auto it = sessions_.find(session_id);
    if (it == sessions_.end())
        co_return auth::RotateResult{auth::RotateOutcome::session_missing, {}, {}, {}};
    Session& session = it->second;
    if (!session.valid) {
        co_return auth::RotateResult{auth::RotateOutcome::session_revoked, session.user_id, {}, {}};
    }
    if (session.token_hash != presented_hash) {
        // What the grace window compares its derived successor with, as the real store answers.
        co_return auth::RotateResult{auth::RotateOutcome::token_mismatch, session.user_id,
                                     session.token_hash, session.updated};
    }
    session.token_hash = std::string(new_hash);
    session.updated = now;
    co_return auth::RotateResult{auth::RotateOutcome::rotated, session.user_id, {}, {}};
}

auth::Task<bool> MemoryStores::revoke_if_current(std::string_view session_id,
                                                 std::string_view current_hash,
                                                 auth::TimePoint now) {
    const auto it = sessions_.find(session_id);
    if (it == sessions_.end() || !it->second.valid || it->second.token_hash != current_hash) {
        co_return false;
    }
    it->second.valid = false;
    it->second.token_hash.clear();
    it->second.updated = now;
    co_return true;
}

auth::Task<void> MemoryStores::revoke_all(std::string_view user_id, auth::TimePoint now) {
    for (auto& [id, session] : sessions_) {
        if (session.user_id != user_id) continue;
        session.valid = false;
        session.token_hash.clear();
        session.updated = now;
    }
    co_return;
}

auth::Task<std::vector<auth::SessionSummary>> MemoryStores::list(std::string_view user_id) {
    std::vector<auth::SessionSummary> out;
    for (const auto& [id, session] : sessions_) {
        if (session.user_id == user_id) {
            out.push_back({id, session.created, session.updated, session.valid});
        }
    }
    co_return out;
}

auth::Task<bool> MemoryStores::is_locked(std::string_view email, std::string_view ip,
                                         auth::TimePoint) {
    const auto it = failures_.find(attempt_key(email, ip));
    co_return it != failures_.end() && it->second >= kMaxAttempts;
}

auth::Task<bool> MemoryStores::record_failure(std::string_view email, std::string_view ip,
                                              std::optional<std::string_view>, auth::TimePoint) {
    const int count = ++failures_[attempt_key(email, ip)];
    co_return count == kMaxAttempts;
}

auth::Task<void> MemoryStores::clear(std::string_view email, std::string_view ip) {
    failures_.erase(attempt_key(email, ip));
    co_return;
}

auth::Task<void> MemoryStores::clear_email(std::string_view email) {
    std::erase_if(failures_, [&email](const auto& entry) {
        return entry.first.starts_with(email) && entry.first.size() > email.size() &&
               entry.first[email.size()] == '\n';
    });
    co_return;
}

auth::Task<std::optional<auth::User>> MemoryStores::create_unverified_user(
    std::string_view id, std::string_view email, std::string_view password_hash,
    auth::TimePoint now) {
    const std::optional<auth::NewSession> no_session;
    co_return co_await create(id, email, password_hash, false, no_session, now);
}

auth::Task<void> MemoryStores::request_email(auth::EmailRequest, std::string_view,
                                             auth::TimePoint) {
    co_return;  // the outbox is not part of the request path
}

auth::Task<auth::TokenCheck> MemoryStores::verify_email(std::string_view, auth::TimePoint) {
    co_return auth::TokenCheck::invalid;  // no token was ever issued here
}

auth::Task<auth::ResetOutcome> MemoryStores::check_reset(std::string_view, auth::TimePoint) {
    co_return auth::ResetOutcome{};  // no reset token was ever issued here
}

auth::Task<auth::ResetOutcome> MemoryStores::reset_password(std::string_view, std::string_view,
                                                            auth::TimePoint) {
    co_return auth::ResetOutcome{};
}

}  // namespace portcullis::fuzz
