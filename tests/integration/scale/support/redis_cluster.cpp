// See redis_cluster.hpp.
#include "redis_cluster.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <set>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "server_process.hpp"

namespace portcullis::test {
namespace {
constexpr const char* kPassword = "cluster-redis-password";

std::vector<std::string> run_lines(const std::string& command) {
    std::vector<std::string> lines;
    FILE* pipe = ::popen(command.c_str(), "r");
    if (pipe == nullptr) return lines;
    char buffer[8192];
    while (std::fgets(buffer, sizeof buffer, pipe) != nullptr) {
        std::string line(buffer);
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
        lines.push_back(line);
    }
    ::pclose(pipe);
    return lines;
}

std::vector<std::string> split(const std::string& text, char sep) {
    std::vector<std::string> out;
    std::stringstream in(text);
    for (std::string part; std::getline(in, part, sep);) out.push_back(part);
    return out;
}
}  // namespace

std::string RedisCluster::password() {
    return kPassword;
}

RedisCluster::RedisCluster() {
    char templ[] = "/tmp/portcullis-rcluster-XXXXXX";
    if (::mkdtemp(templ) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = templ;
    std::set<std::uint16_t> taken;
    for (int i = 0; i < 6; ++i) {
        std::uint16_t port = 0;
        // The cluster bus listens on port + 10000: both must be free and distinct.
        do {
            port = free_port();
        } while (port > 55000 || taken.contains(port) || taken.contains(port + 10000));
        taken.insert(port);
        taken.insert(static_cast<std::uint16_t>(port + 10000));
        const std::string node_dir = dir_ + "/" + std::to_string(port);
        std::filesystem::create_directories(node_dir);
        const std::string p = std::to_string(port);
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::execlp("redis-server", "redis-server", "--port", p.c_str(), "--bind", "127.0.0.1",
                     "--requirepass", kPassword, "--masterauth", kPassword, "--cluster-enabled",
                     "yes", "--cluster-config-file", (node_dir + "/nodes.conf").c_str(),
                     "--cluster-node-timeout", "1000",
                     // Per-node failure (the other masters keep serving while one is down), and a
                     // replica may take over however long its link was down, as a managed
                     // cluster's settings allow.
                     "--cluster-require-full-coverage", "no", "--cluster-replica-validity-factor",
                     "0", "--save", "", "--appendonly", "no", "--dir", node_dir.c_str(),
                     "--logfile", (node_dir + "/redis.log").c_str(), static_cast<char*>(nullptr));
            std::_Exit(127);
        }
        nodes_.push_back({port, pid});
    }
    for (const auto& node : nodes_) {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (cli(node.port, "PING") != std::vector<std::string>{"PONG"}) {
            if (std::chrono::steady_clock::now() > deadline) {
                throw std::runtime_error("cluster node did not start on " +
                                         std::to_string(node.port));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    std::string create =
        "redis-cli -a " + std::string(kPassword) + " --no-auth-warning --cluster create";
    for (const auto& node : nodes_) create += " 127.0.0.1:" + std::to_string(node.port);
    create += " --cluster-replicas 1 --cluster-yes >" + dir_ + "/create.log 2>&1";
    if (std::system(create.c_str()) != 0)
        throw std::runtime_error("redis-cli --cluster create failed");
    if (!wait_ok(30)) throw std::runtime_error("the Redis Cluster did not turn ok");
    // Every replica has finished its first sync: a failover may only happen after that.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    for (const auto& node : nodes_) {
        for (;;) {
            bool master = false;
            bool synced = false;
            for (const auto& line : cli(node.port, "INFO replication")) {
                master = master || line == "role:master";
                synced = synced || line == "master_link_status:up";
            }
            if (master || synced) break;
            if (std::chrono::steady_clock::now() > deadline) {
                throw std::runtime_error("a cluster replica never synced");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
}

RedisCluster::~RedisCluster() {
    for (auto& node : nodes_) {
        if (node.pid <= 0) continue;
        ::kill(node.pid, SIGCONT);
        ::kill(node.pid, SIGKILL);
        ::waitpid(node.pid, nullptr, 0);
    }
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
}

std::string RedisCluster::url() const {
    return std::string("redis://:") + kPassword + "@127.0.0.1:" + std::to_string(nodes_[0].port) +
           "?cluster=true&addr=127.0.0.1:" + std::to_string(nodes_[1].port);
}

std::vector<std::string> RedisCluster::cli(std::uint16_t port, const std::string& args) const {
    return run_lines("redis-cli -p " + std::to_string(port) + " -a " + kPassword +
                     " --no-auth-warning " + args + " 2>/dev/null");
}

std::vector<std::uint16_t> RedisCluster::masters() const {
    std::vector<std::uint16_t> out;
    for (const auto& node : nodes_) {
        if (node.pid <= 0) continue;
        for (const auto& line : cli(node.port, "CLUSTER NODES")) {
            const auto fields = split(line, ' ');
            // id addr flags master ping pong epoch link slot...
            if (fields.size() < 9 || fields[2].find("myself") == std::string::npos) continue;
            if (fields[2].find("master") != std::string::npos) out.push_back(node.port);
        }
    }
    return out;
}

std::uint16_t RedisCluster::master_of(const std::string& key) const {
    const auto slot =
        cli(nodes_[0].pid > 0 ? nodes_[0].port : nodes_[1].port, "CLUSTER KEYSLOT '" + key + "'");
    if (slot.size() != 1) throw std::runtime_error("CLUSTER KEYSLOT failed");
    const long wanted = std::stol(slot[0]);
    for (const auto port : masters()) {
        for (const auto& line : cli(port, "CLUSTER NODES")) {
            const auto fields = split(line, ' ');
            if (fields.size() < 9 || fields[2].find("myself") == std::string::npos) continue;
            for (std::size_t i = 8; i < fields.size(); ++i) {
                const auto dash = fields[i].find('-');
                if (fields[i].front() == '[') continue;  // a slot being migrated
                const long first = std::stol(fields[i].substr(0, dash));
                const long last =
                    dash == std::string::npos ? first : std::stol(fields[i].substr(dash + 1));
                if (wanted >= first && wanted <= last) return port;
            }
        }
    }
    throw std::runtime_error("no master serves the slot of " + key);
}

std::vector<std::string> RedisCluster::keys() const {
    std::vector<std::string> out;
    for (const auto port : masters()) {
        for (auto& key : cli(port, "--scan")) out.push_back(std::move(key));
    }
    return out;
}

std::uint16_t RedisCluster::failover(std::uint16_t master) {
    std::string master_id;
    for (const auto& line : cli(master, "CLUSTER NODES")) {
        const auto fields = split(line, ' ');
        if (fields.size() >= 3 && fields[2].find("myself") != std::string::npos)
            master_id = fields[0];
    }
    for (const auto& line : cli(master, "CLUSTER NODES")) {
        const auto fields = split(line, ' ');
        if (fields.size() < 4 || fields[3] != master_id) continue;
        const auto address = fields[1].substr(0, fields[1].find('@'));
        const auto port =
            static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
        if (cli(port, "CLUSTER FAILOVER") != std::vector<std::string>{"OK"}) {
            throw std::runtime_error("CLUSTER FAILOVER refused");
        }
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
        for (;;) {
            const auto now_masters = masters();
            if (std::find(now_masters.begin(), now_masters.end(), port) != now_masters.end() &&
                wait_ok(1)) {
                return port;
            }
            if (std::chrono::steady_clock::now() > deadline) {
                throw std::runtime_error("the replica did not take over");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    throw std::runtime_error("no replica of " + std::to_string(master));
}

void RedisCluster::kill(std::uint16_t port) {
    for (auto& node : nodes_) {
        if (node.port != port || node.pid <= 0) continue;
        ::kill(node.pid, SIGKILL);
        ::waitpid(node.pid, nullptr, 0);
        node.pid = -1;
    }
}

bool RedisCluster::wait_ok(int seconds) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    for (;;) {
        bool ok = true;
        for (const auto& node : nodes_) {
            if (node.pid <= 0) continue;
            const auto info = cli(node.port, "CLUSTER INFO");
            bool state_ok = false;
            for (const auto& line : info) state_ok = state_ok || line == "cluster_state:ok";
            ok = ok && state_ok;
        }
        if (ok) {
            // Every slot served by a running master.
            long served = 0;
            for (const auto port : masters()) {
                for (const auto& line : cli(port, "CLUSTER NODES")) {
                    const auto fields = split(line, ' ');
                    if (fields.size() < 9 || fields[2].find("myself") == std::string::npos)
                        continue;
                    for (std::size_t i = 8; i < fields.size(); ++i) {
                        if (fields[i].front() == '[') continue;
                        const auto dash = fields[i].find('-');
                        const long first = std::stol(fields[i].substr(0, dash));
                        const long last = dash == std::string::npos
                                              ? first
                                              : std::stol(fields[i].substr(dash + 1));
                        served += last - first + 1;
                    }
                }
            }
            if (served == 16384) return true;
        }
        if (std::chrono::steady_clock::now() >= deadline) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace portcullis::test
