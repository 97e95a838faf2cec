// Redis Cluster (issue #17, point 5): the key → slot → node routing of the cluster specification,
// with the sans-I/O pieces apart (slot of a key with hash tags, MOVED/ASK replies, CLUSTER SLOTS
// replies) and ClusterClient, which keeps one Client per master on its I/O thread, learns the slot
// map with CLUSTER SLOTS, follows MOVED (and refreshes the map) and ASK, and fails a call with
// Unavailable when the node serving its slot cannot answer, so the failure modes of decisions A.4
// apply per node.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis/client.hpp"

namespace portcullis::redis {

inline constexpr std::uint16_t kClusterSlots = 16384;

// CRC16 (XMODEM) of the key's hash tag (the text between the first `{` and the next `}`, when not
// empty) or of the whole key, modulo 16384.
std::uint16_t key_slot(std::string_view key);

struct Redirect {
    bool ask = false;  // ASK (one command, after ASKING) rather than MOVED (the slot moved)
    std::uint16_t slot = 0;
    std::string host;
    std::uint16_t port = 0;
};
// `MOVED 3999 127.0.0.1:6381` / `ASK 3999 127.0.0.1:6381` error replies; nullopt otherwise.
// An empty host (a node that does not know its address) is left empty for the caller to fill.
std::optional<Redirect> parse_redirect(const Reply& reply);

struct SlotRange {
    std::uint16_t first = 0;
    std::uint16_t last = 0;
    std::string host;  // the master's; empty: the node that answered
    std::uint16_t port = 0;
};
// The masters of a CLUSTER SLOTS reply; throws ProtocolError when it is not one.
std::vector<SlotRange> parse_cluster_slots(const Reply& reply);

class ClusterClient final : public Commands, public std::enable_shared_from_this<ClusterClient> {
public:
    // `settings`: credentials and the seed nodes (host:port and settings.seeds). `health` counts
    // this client up while every slot has a connected master.
    ClusterClient(boost::asio::io_context& io, Settings settings, ClientOptions options,
                  Health* health = nullptr);
    ~ClusterClient() override;
    ClusterClient(const ClusterClient&) = delete;
    ClusterClient& operator=(const ClusterClient&) = delete;

    void start() override;
    void stop() override;
    bool connected() const override { return complete_; }
    boost::asio::awaitable<bool> wait_connected(std::chrono::milliseconds timeout) override;
    boost::asio::awaitable<Reply> call(const std::vector<std::string>& args) override;
    boost::asio::awaitable<Reply> run_script(const Script& script,
                                             const std::vector<std::string>& keys,
                                             const std::vector<std::string>& args) override;

private:
    struct Node {
        std::string host;
        std::uint16_t port = 0;
        std::shared_ptr<Client> client;
    };

    boost::asio::awaitable<void> supervise();
    boost::asio::awaitable<void> refresh();
    // The command on the node of `slot`, following redirections. Throws Unavailable.
    boost::asio::awaitable<Reply> routed(std::optional<std::uint16_t> slot,
                                         const std::vector<std::string>& command);
    std::shared_ptr<Node> node(const std::string& host, std::uint16_t port);
    std::shared_ptr<Node> any_connected() const;
    void update_health();

    boost::asio::io_context& io_;
    Settings settings_;
    ClientOptions options_;
    Health* health_;
    std::vector<std::shared_ptr<Node>> nodes_;                // every node met, masters first
    std::array<std::shared_ptr<Node>, kClusterSlots> slots_;  // the master of each slot
    bool complete_ = false;
    bool counted_up_ = false;
    bool stopped_ = false;
    bool refresh_wanted_ = true;
    Clock::time_point started_{};
    std::unique_ptr<boost::asio::steady_timer> wake_;
};

}  // namespace portcullis::redis
