// See curl_api.hpp.
#include "email/curl_api.hpp"

#include <dlfcn.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>

namespace portcullis::email {
namespace {
CurlApi g_api{};
std::atomic<bool> g_loaded{false};
std::mutex g_mutex;

template <typename F>
void bind(void* library, const char* name, F& target) {
    void* symbol = ::dlsym(library, name);
    if (symbol == nullptr) throw std::runtime_error(std::string("libcurl lacks ") + name);
    target = reinterpret_cast<F>(symbol);
}
}  // namespace

const CurlApi& load_curl() {
    std::lock_guard lock(g_mutex);
    if (g_loaded.load()) return g_api;
    void* library = ::dlopen("libcurl.so.4", RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) {
        const char* reason = ::dlerror();
        throw std::runtime_error(std::string("cannot load libcurl.so.4 for SMTP: ") +
                                 (reason != nullptr ? reason : "unknown error"));
    }
    CurlApi api{};
    bind(library, "curl_global_init", api.global_init);
    bind(library, "curl_easy_init", api.easy_init);
    bind(library, "curl_easy_setopt", api.easy_setopt);
    bind(library, "curl_easy_perform", api.easy_perform);
    bind(library, "curl_easy_cleanup", api.easy_cleanup);
    bind(library, "curl_easy_strerror", api.easy_strerror);
    bind(library, "curl_slist_append", api.slist_append);
    bind(library, "curl_slist_free_all", api.slist_free_all);
    if (api.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        throw std::runtime_error("libcurl initialisation failed");
    }
    g_api = api;  // the library stays loaded for the life of the process
    g_loaded.store(true);
    return g_api;
}

const CurlApi* loaded_curl() {
    return g_loaded.load() ? &g_api : nullptr;
}

}  // namespace portcullis::email
