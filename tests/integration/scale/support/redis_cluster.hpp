// A Redis Cluster of a test's own (issue #17, point 5): three masters and three replicas of
// Debian's redis-server on loopback ports, password set, made with `redis-cli --cluster create`,
// short node timeout so a killed master is replaced within seconds. Torn down by the destructor.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

namespace portcullis::test {

class RedisCluster {
public:
    RedisCluster();  // throws std::runtime_error when a step fails
    ~RedisCluster();
    RedisCluster(const RedisCluster&) = delete;
    RedisCluster& operator=(const RedisCluster&) = delete;

    // redis://:<password>@127.0.0.1:<first port>?cluster=true&addr=127.0.0.1:<second port>
    std::string url() const;
    static std::string password();

    // redis-cli against one node; its stdout lines.
    std::vector<std::string> cli(std::uint16_t port, const std::string& args) const;
    // The ports of the nodes that are masters serving slots right now.
    std::vector<std::uint16_t> masters() const;
    // The master serving `key` right now.
    std::uint16_t master_of(const std::string& key) const;
    // Every key of the cluster (SCAN on each master).
    std::vector<std::string> keys() const;

    // `CLUSTER FAILOVER` on a replica of `master`: a manual, lossless switch. Returns the new
    // master's port once it serves the slots.
    std::uint16_t failover(std::uint16_t master);
    // SIGKILL: the cluster promotes a replica after the node timeout.
    void kill(std::uint16_t port);
    // Waits until every node still running reports cluster_state:ok and every slot is served by a
    // running master; false after `seconds`.
    bool wait_ok(int seconds = 20) const;

private:
    struct Node {
        std::uint16_t port = 0;
        pid_t pid = -1;
    };
    std::string dir_;
    std::vector<Node> nodes_;
};

}  // namespace portcullis::test
