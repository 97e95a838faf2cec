// Sending one message over SMTP with libcurl (contract 8.1, 8.3): implicit TLS (smtps://) with
// SMTP_SECURE, else STARTTLS when the server offers it; AUTH only when user and password are both
// set. Blocking: call it on the blocking pool, never on an I/O thread (design section 2).
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

namespace portcullis::email {

struct SmtpSettings {
    std::string host;
    int port = 25;
    bool secure = false;  // implicit TLS
    std::optional<std::string> user;
    std::optional<std::string> password;
    std::chrono::milliseconds connect_timeout{10000};
    std::chrono::milliseconds timeout{30000};  // the whole transaction
};

struct SendResult {
    bool ok = false;
    std::string error;  // set when !ok; never holds the password
};

// Must run once per process before any send (libcurl's global init is not thread-safe).
void smtp_global_init();

// Delivers `message` (CRLF text, headers included) from `envelope_from` to `recipient`. Setting
// `*cancel` aborts a transfer in progress within about a second (shutdown).
SendResult smtp_send(const SmtpSettings& settings, const std::string& envelope_from,
                     const std::string& recipient, const std::string& message,
                     const std::atomic<bool>* cancel = nullptr);

}  // namespace portcullis::email
