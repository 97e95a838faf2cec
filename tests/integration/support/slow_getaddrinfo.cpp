// A getaddrinfo for the DNS tests of issue #18 item 5, preloaded into the server (LD_PRELOAD): the
// name in PORTCULLIS_SLOW_DNS_NAME is answered as 127.0.0.1 after PORTCULLIS_SLOW_DNS_DELAY_MS
// milliseconds, or never when that is "never" (a resolver that hangs); every other name goes to
// the real getaddrinfo. Whichever thread calls it is the one that waits.
#include <dlfcn.h>
#include <netdb.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>

extern "C" int getaddrinfo(const char* node, const char* service, const addrinfo* hints,
                           addrinfo** result) {
    using Real = int (*)(const char*, const char*, const addrinfo*, addrinfo**);
    static const auto real = reinterpret_cast<Real>(::dlsym(RTLD_NEXT, "getaddrinfo"));
    const char* name = std::getenv("PORTCULLIS_SLOW_DNS_NAME");
    if (node == nullptr || name == nullptr || std::strcmp(node, name) != 0) {
        return real(node, service, hints, result);
    }
    const char* delay = std::getenv("PORTCULLIS_SLOW_DNS_DELAY_MS");
    if (delay != nullptr && std::string(delay) == "never") {
        for (;;) ::sleep(3600);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(delay != nullptr ? std::atol(delay) : 0));
    return real("127.0.0.1", service, hints, result);
}
