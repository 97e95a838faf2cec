// See outbox_sender.hpp. Log messages and fields follow contract 8.3 and 8.4.
#include "email/outbox_sender.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "email/templates.hpp"
#include "observability/logger.hpp"

// GCC 12 misreads the frame deallocation of Asio's awaitable coroutines here as a mismatched
// new/delete (the same false positive cmake/Warnings.cmake silences for sanitizer builds).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace portcullis::email {
namespace {
using observability::Level;
using observability::LogFields;

// Finished rows are kept this long for inspection, then deleted.
constexpr auto kKeepFinished = std::chrono::hours(24 * 7);
constexpr auto kPurgeEvery = std::chrono::hours(1);

auth::TimePoint now() {
    return std::chrono::system_clock::now();
}

EmailKind kind_of(std::string_view kind) {
    return kind == "verification" ? EmailKind::verification : EmailKind::password_reset;
}

std::string_view label(EmailKind kind) {
    return kind == EmailKind::verification ? "Verification" : "Password reset";
}

std::string_view lower_label(EmailKind kind) {
    return kind == EmailKind::verification ? "verification" : "password reset";
}
}  // namespace

OutboxSender::OutboxSender(OutboxOptions options, db::PgOutbox& outbox,
                           observability::Logger& logger, auth::OutboxEvents* events)
    : options_(std::move(options)),
      outbox_(outbox),
      logger_(logger),
      events_(events),
      // Sends are sequential per replica: one blocking thread is all the loop uses.
      blocking_(1, 16) {}

OutboxSender::~OutboxSender() = default;

std::chrono::milliseconds OutboxSender::lease() const {
    const auto send_time = options_.smtp ? options_.smtp->connect_timeout + options_.smtp->timeout
                                         : std::chrono::milliseconds(0);
    return 2 * send_time + std::chrono::milliseconds(30000);
}

void OutboxSender::attach(boost::asio::io_context& io) {
    loop_.attach(io, [this] { return run(); });
}

void OutboxSender::stop(std::chrono::milliseconds timeout) {
    loop_.stop(timeout);
}

boost::asio::awaitable<void> OutboxSender::run() {
    while (!loop_.stopping()) {
        std::size_t claimed = 0;
        std::string error;
        try {
            claimed = co_await poll_once();
        } catch (const std::exception& e) {
            error = e.what();
        }
        // One line per outage, not one per poll.
        if (!error.empty() && !poll_failing_) {
            logger_.log(Level::warn, "Email outbox poll failed", LogFields().error("Error", error));
        }
        poll_failing_ = !error.empty();
        if (error.empty() && claimed == static_cast<std::size_t>(options_.batch)) continue;
        co_await loop_.pause(options_.poll_interval);
    }
}

boost::asio::awaitable<std::size_t> OutboxSender::poll_once() {
    const auto started = now();
    const auto rows = co_await outbox_.claim(started, started + lease(), options_.batch);
    for (const auto& row : rows) {
        if (loop_.stopping()) {
            // Shutting down: hand the row back at once instead of holding it for a whole lease.
            co_await outbox_.mark_retry(row, "sender stopped before sending", now(), now());
            continue;
        }
        co_await process(row);
    }
    const std::int64_t pending = co_await outbox_.pending();
    if (events_ != nullptr) events_->pending_emails(pending);
    const auto steady = std::chrono::steady_clock::now();
    if (steady - last_purge_ >= kPurgeEvery) {
        last_purge_ = steady;
        co_await outbox_.purge(now() - kKeepFinished);
    }
    co_return rows.size();
}

boost::asio::awaitable<void> OutboxSender::process(const db::OutboxRow& row) {
    const EmailKind kind = kind_of(row.kind);
    const int max_attempts = options_.retry.max_attempts;
    // A row claimed more often than allowed: its senders died mid-send (crash, kill).
    if (row.attempts > max_attempts) {
        co_await outbox_.mark_dead(row, "no attempt completed", now());
        logger_.log(Level::error, "All retry attempts exhausted",
                    LogFields()
                        .str("emailType", to_string(kind))
                        .str("recipient", row.email)
                        .num("attempt", static_cast<std::int64_t>(row.attempts))
                        .num("maxAttempts", static_cast<std::int64_t>(max_attempts)));
        if (events_ != nullptr) events_->email_dead();
        co_return;
    }

    std::string recipient = row.email;
    std::string token;
    std::string user_id = row.user_id.value_or(std::string{});
    const auto ttl = std::chrono::minutes(outbox_.ttl_minutes(row.kind));
    int minutes_left = outbox_.ttl_minutes(row.kind);
    bool fresh_token_needed = !row.token;
    if (row.token_unreadable) {
        // Sealed under a secret this server does not have (JWT_REFRESH_SECRET rotated while the
        // email waited): the email goes out with a new token instead.
        logger_.log(Level::warn, "Email outbox token unreadable; issuing a new one",
                    LogFields().str("emailType", to_string(kind)).str("outboxId", row.id));
        co_await outbox_.release_token(row, now());
    } else if (row.token) {
        // A retry long after the first try (SMTP outage) must not mail a token that is about to
        // expire, nor claim the full TTL (decisions B.12): under half its TTL left, a new one.
        const std::optional<auth::TimePoint> expires = co_await outbox_.token_expiry(row);
        const auto left = expires ? *expires - now() : auth::TimePoint::duration::zero();
        if (expires && left * 2 >= ttl) {
            token = *row.token;
            const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(left).count();
            minutes_left = std::max(1, static_cast<int>((ms + 30000) / 60000));
        } else {
            co_await outbox_.release_token(row, now());
            fresh_token_needed = true;
        }
    }
    if (fresh_token_needed) {
        // A queued request (decisions B.10): the account is looked up here, off the request path.
        const auto resolved = co_await outbox_.resolve(row, now());
        if (!resolved) {
            co_await outbox_.mark_skipped(row, now());
            co_return;
        }
        recipient = resolved->recipient;
        token = resolved->token;
        user_id = resolved->user_id;
    }
    const RenderedEmail rendered = render(kind, token, minutes_left);

    if (!options_.smtp) {
        log_console(row.kind, recipient, token);
        co_await outbox_.mark_sent(row, now());
        if (events_ != nullptr) events_->email_sent();
        co_return;
    }

    MessageParts parts;
    parts.from = options_.from;
    parts.to = recipient;
    parts.subject = rendered.subject;
    parts.text = rendered.text;
    parts.html = rendered.html;
    parts.message_id = new_message_id(options_.from.address);
    parts.boundary = new_boundary();
    parts.date = now();
    const std::string message = build_message(parts);
    const SmtpSettings settings = *options_.smtp;
    const std::string envelope_from = options_.from.address;
    // A named job: lambdas are not built inside co_await expressions (GCC 12 coroutine bugs).
    const std::atomic<bool>* cancel = &loop_.stop_flag();
    auto send_job = [settings, envelope_from, recipient, message, cancel] {
        return smtp_send(settings, envelope_from, recipient, message, cancel);
    };
    const SendResult result = co_await blocking_.run(std::move(send_job));
    if (!result.ok && loop_.stopping()) {
        // Cut short by shutdown: due again at once, for this replica's successor or another one.
        co_await outbox_.mark_retry(row, result.error, now(), now());
        co_return;
    }

    if (result.ok) {
        co_await outbox_.mark_sent(row, now());
        logger_.log(Level::info, std::string(label(kind)) + " email sent via SMTP",
                    LogFields()
                        .str("emailType", to_string(kind))
                        .str("recipient", recipient)
                        .str("messageId", "<" + parts.message_id + ">"));
        if (events_ != nullptr) events_->email_sent();
        co_return;
    }
    if (events_ != nullptr) events_->email_failed();
    if (exhausted(row.attempts, options_.retry)) {
        co_await outbox_.mark_dead(row, result.error, now());
        logger_.log(Level::error, "All retry attempts exhausted",
                    LogFields()
                        .str("error", result.error)
                        .num("attempt", static_cast<std::int64_t>(row.attempts))
                        .num("maxAttempts", static_cast<std::int64_t>(max_attempts)));
        // Contract 8.3: {err, recipient}, and userId for password resets.
        LogFields fields = LogFields().error("Error", result.error);
        if (kind == EmailKind::password_reset && !user_id.empty()) fields.str("userId", user_id);
        logger_.log(Level::error, "Failed to send " + std::string(lower_label(kind)) + " email",
                    fields.str("recipient", recipient));
        if (events_ != nullptr) events_->email_dead();
        co_return;
    }
    const auto delay = retry_delay(row.attempts, options_.retry);
    co_await outbox_.mark_retry(row, result.error, now() + delay, now());
    logger_.log(Level::warn, "Email send failed, retrying",
                LogFields()
                    .str("error", result.error)
                    .num("attempt", static_cast<std::int64_t>(row.attempts))
                    .num("maxAttempts", static_cast<std::int64_t>(max_attempts))
                    .num("nextRetryDelayMs", static_cast<std::int64_t>(delay.count())));
}

void OutboxSender::log_console(std::string_view kind_text, std::string_view recipient,
                               std::string_view token) {
    const EmailKind kind = kind_of(kind_text);
    logger_.log(Level::info, "Email (console): " + std::string(label(kind)) + " email",
                LogFields()
                    .str("emailType", to_string(kind))
                    .str("recipient", recipient)
                    .num("tokenLength", static_cast<std::int64_t>(token.size())));
    if (options_.production) {
        // Contract 8.4: the raw token never appears in production logs.
        logger_.log(Level::warn,
                    "Email token generated; token omitted from console logs. Configure SMTP for "
                    "delivery.",
                    LogFields().str("emailType", to_string(kind)).boolean("tokenRedacted", true));
        return;
    }
    const std::string link =
        std::string(kind == EmailKind::verification ? "https://yourapp.com/verify-email?token="
                                                    : "https://yourapp.com/reset-password?token=") +
        std::string(token);
    logger_.log(
        Level::info,
        kind == EmailKind::verification ? "Verification token ready" : "Password reset token ready",
        LogFields().str("exampleLink", link));
}

}  // namespace portcullis::email
