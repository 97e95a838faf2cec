// scripts/cluster.sh driven from a test: replicas of the binary under test behind HAProxy, in a
// private folder with a private environment; `down` runs in the destructor whatever happened.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace portcullis::test {

class Cluster {
public:
    // `env`: the replicas' environment (KEY=VALUE each); `mode`: "tcp" or "http".
    Cluster(const std::map<std::string, std::string>& env, int replicas = 3,
            const std::string& mode = "tcp", int shutdown_delay_ms = 2000);
    ~Cluster();
    Cluster(const Cluster&) = delete;
    Cluster& operator=(const Cluster&) = delete;

    std::uint16_t port() const { return port_; }  // the balancer
    int replicas() const { return replicas_; }
    // Runs `scripts/cluster.sh <args>`; its output. Throws when it exits non-zero.
    std::string run(const std::string& args) const;
    // Replica I's (1-based) log so far.
    std::string replica_log(int i) const;
    // Lines of replica I's log whose text contains `needle`.
    std::size_t count_in_log(int i, const std::string& needle) const;

private:
    std::string dir_;
    std::string command_prefix_;
    std::uint16_t port_ = 0;
    int replicas_ = 3;
};

}  // namespace portcullis::test
