// See smtp.hpp.
#include "email/smtp.hpp"

#include "email/curl_api.hpp"

#include <cstring>
#include <memory>
#include <stdexcept>
#include <string_view>

namespace portcullis::email {
namespace {
struct Upload {
    std::string_view data;
    std::size_t offset = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* user) {
    auto* upload = static_cast<Upload*>(user);
    const std::size_t room = size * count;
    const std::size_t n = std::min(room, upload->data.size() - upload->offset);
    std::memcpy(buffer, upload->data.data() + upload->offset, n);
    upload->offset += n;
    return n;
}

std::string url_for(const SmtpSettings& settings) {
    std::string host = settings.host;
    // A literal IPv6 address needs brackets in a URL.
    if (host.find(':') != std::string::npos && !host.starts_with('[')) host = "[" + host + "]";
    return std::string(settings.secure ? "smtps://" : "smtp://") + host + ":" +
           std::to_string(settings.port);
}

// libcurl calls this about once a second (and on activity); non-zero aborts the transfer.
int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    const auto* cancel = static_cast<const std::atomic<bool>*>(user);
    return cancel->load() ? 1 : 0;
}

struct CurlDeleter {
    const CurlApi* api;
    void operator()(CURL* curl) const { api->easy_cleanup(curl); }
};
struct SlistDeleter {
    const CurlApi* api;
    void operator()(curl_slist* list) const { api->slist_free_all(list); }
};
}  // namespace

void smtp_global_init() {
    load_curl();
}

SendResult smtp_send(const SmtpSettings& settings, const std::string& envelope_from,
                     const std::string& recipient, const std::string& message,
                     const std::atomic<bool>* cancel) {
    const CurlApi* const api = loaded_curl();
    if (api == nullptr) return {false, "libcurl is not loaded (smtp_global_init was not called)"};
    std::unique_ptr<CURL, CurlDeleter> curl(api->easy_init(), CurlDeleter{api});
    if (!curl) return {false, "libcurl could not create a handle"};
    const std::unique_ptr<curl_slist, SlistDeleter> recipients(
        api->slist_append(nullptr, ("<" + recipient + ">").c_str()), SlistDeleter{api});
    Upload upload{message, 0};
    char error_buffer[CURL_ERROR_SIZE] = {};
    const std::string url = url_for(settings);
    const std::string from = "<" + envelope_from + ">";
    CURL* h = curl.get();
    api->easy_setopt(h, CURLOPT_URL, url.c_str());
    api->easy_setopt(h, CURLOPT_MAIL_FROM, from.c_str());
    api->easy_setopt(h, CURLOPT_MAIL_RCPT, recipients.get());
    api->easy_setopt(h, CURLOPT_READFUNCTION, &read_upload);
    api->easy_setopt(h, CURLOPT_READDATA, &upload);
    api->easy_setopt(h, CURLOPT_UPLOAD, 1L);
    api->easy_setopt(h, CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(message.size()));
    // Implicit TLS must succeed; otherwise STARTTLS is used when offered (contract 8.1).
    api->easy_setopt(h, CURLOPT_USE_SSL,
                     static_cast<long>(settings.secure ? CURLUSESSL_ALL : CURLUSESSL_TRY));
    api->easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(settings.connect_timeout.count()));
    api->easy_setopt(h, CURLOPT_TIMEOUT_MS, static_cast<long>(settings.timeout.count()));
    // Timeouts without SIGALRM: the process handles its signals synchronously.
    api->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    api->easy_setopt(h, CURLOPT_ERRORBUFFER, error_buffer);
    if (cancel != nullptr) {
        api->easy_setopt(h, CURLOPT_XFERINFOFUNCTION, &on_progress);
        api->easy_setopt(h, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(cancel));
        api->easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    }
    if (settings.user && settings.password) {
        api->easy_setopt(h, CURLOPT_USERNAME, settings.user->c_str());
        api->easy_setopt(h, CURLOPT_PASSWORD, settings.password->c_str());
    }
    const CURLcode code = api->easy_perform(h);
    if (code == CURLE_OK) return {true, {}};
    // libcurl's messages name the server and the failing step, never the credentials.
    std::string error = api->easy_strerror(code);
    if (error_buffer[0] != '\0') error += std::string(": ") + error_buffer;
    if (settings.password && !settings.password->empty()) {
        // Belt and braces: a password must never reach a log line (decisions B.3).
        for (auto at = error.find(*settings.password); at != std::string::npos;
             at = error.find(*settings.password)) {
            error.replace(at, settings.password->size(), "[REDACTED]");
        }
    }
    return {false, error};
}

}  // namespace portcullis::email
