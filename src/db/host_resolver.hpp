// Host names of a Postgres DSN resolved off the I/O thread (issue #18 item 5). Given only `host`,
// libpq calls getaddrinfo synchronously inside PQconnectStartParams/PQconnectPoll, so a slow DNS
// server (every reconnect in Kubernetes resolves a service name) would stall every request of the
// I/O thread. Instead the names are looked up on a background thread while the I/O thread waits on
// a timer, and libpq gets numeric `hostaddr` values beside `host`; libpq keeps using `host` for TLS
// (SNI, verify-full) and password-file lookups.
//
// Not Asio's async_resolve: its completion only arrives when getaddrinfo returns (cancel() does not
// interrupt it), and the io_context's destructor joins the resolver thread, so a hung lookup would
// hold up exit. Here the deadline ends the wait, and a lookup that never returns is left behind.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace portcullis::db {

using Params = std::vector<std::pair<std::string, std::string>>;

// The numeric addresses of one host name, in the resolver's order without duplicates; `error`
// says why there are none.
struct LookupResult {
    std::vector<std::string> addresses;
    std::string error;
};

// Starts looking up `host`; `done` is called once, on any thread, or never (a resolver that
// hangs): callers must not wait for it without a deadline.
using HostLookup =
    std::function<void(const std::string& host, std::function<void(LookupResult)> done)>;

// getaddrinfo on a background thread; concurrent lookups of one name share that thread.
HostLookup system_host_lookup();

// The host names in `params` that need a lookup: not numeric addresses, not Unix-socket
// directories, and none at all when `hostaddr` is given.
std::vector<std::string> hosts_to_resolve(const Params& params);

// `params` with a `hostaddr` list matching the `host` list: a name with several addresses becomes
// one entry per address (libpq tries them in turn, as it would have), with its port repeated when
// ports are given per host; a name without addresses is left out. nullopt with `error` set when no
// host is left.
std::optional<Params> with_host_addresses(const Params& params,
                                          const std::map<std::string, LookupResult>& resolved,
                                          std::string& error);

// Resolves the host names of `params` with `lookup` and returns them rewritten as above. Waits
// on `io` without blocking it; throws DatabaseUnavailable when `deadline` passes first or when no
// host resolves. Without names to resolve, returns `params` as they are.
boost::asio::awaitable<Params> resolve_hosts(boost::asio::io_context& io, const Params& params,
                                             const HostLookup& lookup,
                                             std::chrono::steady_clock::time_point deadline);

}  // namespace portcullis::db
