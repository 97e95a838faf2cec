// See host_resolver.hpp.
#include "db/host_resolver.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <system_error>
#include <thread>

#include "db/result.hpp"

namespace portcullis::db {
namespace asio = boost::asio;

namespace {
std::vector<std::string> split_list(const std::string& value) {
    std::vector<std::string> items;
    std::size_t start = 0;
    for (;;) {
        const auto comma = value.find(',', start);
        items.push_back(value.substr(start, comma - start));
        if (comma == std::string::npos) return items;
        start = comma + 1;
    }
}

std::string join_list(const std::vector<std::string>& items) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out.push_back(',');
        out += items[i];
    }
    return out;
}

const std::string* find_last(const Params& params, std::string_view key) {
    const std::string* found = nullptr;
    for (const auto& [k, v] : params) {
        if (k == key) found = &v;
    }
    return found;
}

// libpq's rules: empty is the default socket directory, `/dir` (and `@name`, Linux's abstract
// namespace) a Unix socket, a numeric address is used as it is.
bool needs_lookup(const std::string& host) {
    if (host.empty() || host.front() == '/' || host.front() == '@') return false;
    unsigned char buffer[sizeof(in6_addr)];
    return ::inet_pton(AF_INET, host.c_str(), buffer) != 1 &&
           ::inet_pton(AF_INET6, host.c_str(), buffer) != 1;
}

// The port list applies per host when it has one entry per host; libpq refuses other counts
// itself, before resolving anything.
struct HostList {
    std::vector<std::string> hosts;
    std::vector<std::string> ports;  // empty, or one per host
    bool usable = false;
};

HostList host_list(const Params& params) {
    HostList list;
    const std::string* hostaddr = find_last(params, "hostaddr");
    const std::string* host = find_last(params, "host");
    if ((hostaddr != nullptr && !hostaddr->empty()) || host == nullptr || host->empty()) {
        return list;
    }
    list.hosts = split_list(*host);
    if (const std::string* port = find_last(params, "port"); port != nullptr && !port->empty()) {
        auto ports = split_list(*port);
        if (ports.size() != 1 && ports.size() != list.hosts.size()) return list;
        if (list.hosts.size() > 1 && ports.size() == list.hosts.size()) list.ports = ports;
    }
    list.usable = true;
    return list;
}

LookupResult getaddrinfo_lookup(const std::string& host) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;  // as libpq asks
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &found);
    LookupResult result;
    if (rc != 0) {
        result.error = rc == EAI_SYSTEM ? std::generic_category().message(errno) : gai_strerror(rc);
        return result;
    }
    for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
        char text[NI_MAXHOST];
        if (::getnameinfo(a->ai_addr, a->ai_addrlen, text, sizeof text, nullptr, 0,
                          NI_NUMERICHOST) != 0) {
            continue;
        }
        if (std::find(result.addresses.begin(), result.addresses.end(), text) ==
            result.addresses.end()) {
            result.addresses.emplace_back(text);
        }
    }
    ::freeaddrinfo(found);
    if (result.addresses.empty()) result.error = "no usable address";
    return result;
}

// One background thread per name being looked up; later requests for it wait for the same answer.
// Never destroyed: a thread stuck in getaddrinfo may still finish while the process exits.
class SystemLookup {
public:
    static SystemLookup& instance() {
        static auto* const lookup = new SystemLookup;
        return *lookup;
    }

    void start(const std::string& host, std::function<void(LookupResult)> done) {
        {
            const std::lock_guard lock(mutex_);
            auto [flight, first] = flights_.try_emplace(host);
            flight->second.push_back(std::move(done));
            if (!first) return;
        }
        try {
            std::thread([this, host] { finish(host, getaddrinfo_lookup(host)); }).detach();
        } catch (const std::system_error& e) {
            finish(host, LookupResult{{}, std::string("cannot start a lookup: ") + e.what()});
        }
    }

private:
    void finish(const std::string& host, const LookupResult& result) {
        std::vector<std::function<void(LookupResult)>> waiters;
        {
            const std::lock_guard lock(mutex_);
            auto flight = flights_.find(host);
            waiters = std::move(flight->second);
            flights_.erase(flight);
        }
        for (auto& done : waiters) done(result);
    }

    std::mutex mutex_;
    std::map<std::string, std::vector<std::function<void(LookupResult)>>> flights_;
};

// What the waiting coroutine and the lookups' completions share. The timer lives in the
// coroutine's frame; `timer` is cleared (under the lock) when the frame goes, so a completion that
// arrives later touches nothing that is gone, and never posts to an io_context being destroyed.
struct Wait : std::enable_shared_from_this<Wait> {
    std::mutex mutex;
    std::vector<std::optional<LookupResult>> results;
    std::size_t remaining = 0;
    asio::steady_timer* timer = nullptr;

    void complete(std::size_t index, LookupResult result) {
        const std::lock_guard lock(mutex);
        if (timer == nullptr || results[index]) return;
        results[index] = std::move(result);
        if (--remaining > 0) return;
        asio::post(timer->get_executor(), [self = shared_from_this()] {
            const std::lock_guard inner(self->mutex);
            if (self->timer != nullptr) self->timer->cancel();
        });
    }
};

class WaitScope {
public:
    WaitScope(std::shared_ptr<Wait> wait, asio::steady_timer& timer) : wait_(std::move(wait)) {
        const std::lock_guard lock(wait_->mutex);
        wait_->timer = &timer;
    }
    ~WaitScope() {
        const std::lock_guard lock(wait_->mutex);
        wait_->timer = nullptr;
    }
    WaitScope(const WaitScope&) = delete;
    WaitScope& operator=(const WaitScope&) = delete;

private:
    std::shared_ptr<Wait> wait_;
};

// libpq falls back on these when the DSN leaves them out: taken in here so the lookup sees the
// host libpq would use.
Params with_environment(const Params& params) {
    Params out = params;
    for (const auto& [key, variable] : {std::pair<const char*, const char*>{"host", "PGHOST"},
                                        {"hostaddr", "PGHOSTADDR"},
                                        {"port", "PGPORT"}}) {
        const char* value = std::getenv(variable);
        if (value != nullptr && *value != '\0' && find_last(out, key) == nullptr) {
            out.emplace_back(key, value);
        }
    }
    return out;
}
}  // namespace

HostLookup system_host_lookup() {
    return [](const std::string& host, std::function<void(LookupResult)> done) {
        SystemLookup::instance().start(host, std::move(done));
    };
}

std::vector<std::string> hosts_to_resolve(const Params& params) {
    std::vector<std::string> names;
    const HostList list = host_list(params);
    if (!list.usable) return names;
    for (const auto& host : list.hosts) {
        if (needs_lookup(host) && std::find(names.begin(), names.end(), host) == names.end()) {
            names.push_back(host);
        }
    }
    return names;
}

std::optional<Params> with_host_addresses(const Params& params,
                                          const std::map<std::string, LookupResult>& resolved,
                                          std::string& error) {
    const HostList list = host_list(params);
    if (!list.usable) return params;
    std::vector<std::string> hosts;
    std::vector<std::string> addresses;
    std::vector<std::string> ports;
    bool any_lookup = false;
    for (std::size_t i = 0; i < list.hosts.size(); ++i) {
        const std::string& host = list.hosts[i];
        if (!needs_lookup(host)) {
            hosts.push_back(host);
            addresses.emplace_back();
            if (!list.ports.empty()) ports.push_back(list.ports[i]);
            continue;
        }
        any_lookup = true;
        const auto found = resolved.find(host);
        if (found == resolved.end() || found->second.addresses.empty()) {
            if (error.empty()) {
                error =
                    "could not translate host name \"" + host + "\" to address: " +
                    (found == resolved.end() ? std::string("not looked up") : found->second.error);
            }
            continue;
        }
        for (const auto& address : found->second.addresses) {
            hosts.push_back(host);
            addresses.push_back(address);
            if (!list.ports.empty()) ports.push_back(list.ports[i]);
        }
    }
    if (!any_lookup) return params;
    if (hosts.empty()) return std::nullopt;
    error.clear();
    Params out;
    for (const auto& [key, value] : params) {
        if (key == "host" || key == "hostaddr" || (key == "port" && !ports.empty())) continue;
        out.emplace_back(key, value);
    }
    out.emplace_back("host", join_list(hosts));
    out.emplace_back("hostaddr", join_list(addresses));
    if (!ports.empty()) out.emplace_back("port", join_list(ports));
    return out;
}

asio::awaitable<Params> resolve_hosts(asio::io_context& io, const Params& given,
                                      const HostLookup& lookup,
                                      std::chrono::steady_clock::time_point deadline) {
    const Params params = with_environment(given);
    const std::vector<std::string> names = hosts_to_resolve(params);
    if (names.empty()) co_return given;

    auto wait = std::make_shared<Wait>();
    wait->results.resize(names.size());
    wait->remaining = names.size();
    asio::steady_timer timer(io, deadline);
    {
        const WaitScope scope(wait, timer);
        const HostLookup& start = lookup ? lookup : system_host_lookup();
        for (std::size_t i = 0; i < names.size(); ++i) {
            start(names[i],
                  [wait, i](LookupResult result) { wait->complete(i, std::move(result)); });
        }
        bool pending = false;
        {
            const std::lock_guard lock(wait->mutex);
            pending = wait->remaining > 0;
        }
        if (pending) co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }

    std::map<std::string, LookupResult> resolved;
    {
        const std::lock_guard lock(wait->mutex);
        for (std::size_t i = 0; i < names.size(); ++i) {
            if (!wait->results[i]) {
                throw DatabaseUnavailable("timed out resolving the database host \"" + names[i] +
                                          "\"");
            }
            resolved.emplace(names[i], std::move(*wait->results[i]));
        }
    }
    std::string error;
    auto rewritten = with_host_addresses(params, resolved, error);
    if (!rewritten) throw DatabaseUnavailable(error);
    co_return std::move(*rewritten);
}

}  // namespace portcullis::db
