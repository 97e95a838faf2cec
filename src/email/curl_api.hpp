// libcurl loaded on demand with dlopen: a service without SMTP never maps libcurl or its chain of
// dependencies (SSH, HTTP/2, RTMP, IDN, zstd: about 0.6 MiB of resident pages on Debian 12).
#pragma once

#include <curl/curl.h>

namespace portcullis::email {

struct CurlApi {
    CURLcode (*global_init)(long flags);
    CURL* (*easy_init)();
    CURLcode (*easy_setopt)(CURL* handle, CURLoption option, ...);
    CURLcode (*easy_perform)(CURL* handle);
    void (*easy_cleanup)(CURL* handle);
    const char* (*easy_strerror)(CURLcode code);
    curl_slist* (*slist_append)(curl_slist* list, const char* text);
    void (*slist_free_all)(curl_slist* list);
};

// Loads libcurl.so.4 and runs its global initialisation, once per process; later calls return
// the same API. Throws std::runtime_error when the library or a symbol is missing. Not
// thread-safe with respect to libcurl use: call before any thread sends.
const CurlApi& load_curl();

// The API load_curl() loaded, or nullptr before it succeeded.
const CurlApi* loaded_curl();

}  // namespace portcullis::email
