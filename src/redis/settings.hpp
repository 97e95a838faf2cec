// RATE_LIMIT_REDIS_URL → where and how to connect (`redis://[user][:password]@host[:port][/db]`),
// with the password masked for every message (decisions B.3). A Redis Cluster is named by
// `?cluster=true` on the URL of one of its nodes (or its configuration endpoint), with more seed
// nodes as `&addr=host:port` (go-redis' form): the rest is found with CLUSTER SLOTS.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace portcullis::redis {

struct Settings {
    std::string host = "127.0.0.1";
    std::uint16_t port = 6379;
    std::string username;  // empty: AUTH with the password only
    std::string password;  // empty: no AUTH
    int database = 0;
    std::string masked;    // the URL with its password replaced by `***`
    bool cluster = false;  // a Redis Cluster: host:port and `seeds` are where discovery starts
    std::vector<std::pair<std::string, std::uint16_t>> seeds;  // from `addr=`, beyond host:port
};

// Parses a `redis://` URL. `rediss://` (TLS) and `unix://` are refused with a message saying so;
// the error never contains the password.
std::optional<Settings> parse_redis_url(std::string_view url, std::string& error);

}  // namespace portcullis::redis
