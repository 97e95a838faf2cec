// The background sender of the email outbox (decisions C.2): a loop on one I/O thread claims due
// rows, turns queued requests into tokens, renders the message and sends it on a small blocking
// pool (libcurl blocks; design section 2), then records the outcome: sent, retried with
// exponential backoff, or dead after the last attempt. Without SMTP it logs instead (contract 8.4).
#pragma once

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <memory>
#include <optional>

#include "auth/cpu_pool.hpp"
#include "auth/token_ports.hpp"
#include "db/outbox_store.hpp"
#include "email/backoff.hpp"
#include "email/mime.hpp"
#include "email/smtp.hpp"
#include "util/background_loop.hpp"

namespace portcullis::observability {
class Logger;
}

namespace portcullis::email {

struct OutboxOptions {
    RetryPolicy retry;
    std::chrono::milliseconds poll_interval{1000};
    int batch = 10;
    bool production = false;           // the console fallback never logs a token in production
    std::optional<SmtpSettings> smtp;  // nullopt: console fallback (contract 8.4)
    Sender from;
};

class OutboxSender {
public:
    // `outbox`, `logger` and `events` (optional) must outlive the sender.
    OutboxSender(OutboxOptions options, db::PgOutbox& outbox, observability::Logger& logger,
                 auth::OutboxEvents* events);
    ~OutboxSender();
    OutboxSender(const OutboxSender&) = delete;
    OutboxSender& operator=(const OutboxSender&) = delete;

    // Called on each I/O thread (ServerOptions::on_thread_start) after its pool is attached: the
    // first call starts the loop on that thread; later calls do nothing.
    void attach(boost::asio::io_context& io);

    // Ends the loop after the email in flight (at most `timeout`), from any thread but the
    // loop's own. Rows claimed and not yet sent are retried when their lease runs out.
    void stop(std::chrono::milliseconds timeout);

    // How long a claim keeps a row from other senders: longer than any one send can take.
    std::chrono::milliseconds lease() const;

private:
    boost::asio::awaitable<void> run();
    boost::asio::awaitable<std::size_t> poll_once();
    boost::asio::awaitable<void> process(const db::OutboxRow& row);
    void log_console(std::string_view kind, std::string_view recipient, std::string_view token);

    OutboxOptions options_;
    db::PgOutbox& outbox_;
    observability::Logger& logger_;
    auth::OutboxEvents* events_;
    auth::CpuPool blocking_;  // runs the libcurl sends
    util::BackgroundLoop loop_;
    std::chrono::steady_clock::time_point last_purge_{};
    bool poll_failing_ = false;
};

}  // namespace portcullis::email
