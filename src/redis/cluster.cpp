// See cluster.hpp. Everything but Health runs on the owning I/O thread, so the slot map needs no
// locks; each thread keeps its own map and connections, as it keeps its own standalone client.
#include "redis/cluster.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <set>
#include <stdexcept>

namespace portcullis::redis {
namespace asio = boost::asio;

namespace {
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// A call follows at most this many redirections (a slot migrating while the map is refreshed).
constexpr int kMaxRedirections = 5;
// How often the map is looked at: often while a slot has no reachable master (a failover in
// progress), rarely otherwise (MOVED replies and lost connections wake the loop at once).
constexpr std::chrono::milliseconds kRecheckIncomplete{100};
constexpr std::chrono::milliseconds kRecheckComplete{1000};

constexpr std::array<std::uint16_t, 256> make_crc16_table() {
    std::array<std::uint16_t, 256> table{};
    for (unsigned i = 0; i < 256; ++i) {
        unsigned crc = i << 8;
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc & 0x8000) != 0 ? (crc << 1) ^ 0x1021 : crc << 1;
        table[i] = static_cast<std::uint16_t>(crc & 0xffff);
    }
    return table;
}
constexpr auto kCrc16 = make_crc16_table();

std::uint16_t crc16(std::string_view data) {
    std::uint16_t crc = 0;
    for (const char c : data) {
        crc = static_cast<std::uint16_t>(
            (crc << 8) ^ kCrc16[((crc >> 8) ^ static_cast<unsigned char>(c)) & 0xff]);
    }
    return crc;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) {
        return std::nullopt;
    }
    return static_cast<std::uint16_t>(value);
}
}  // namespace

std::uint16_t key_slot(std::string_view key) {
    const auto open = key.find('{');
    if (open != std::string_view::npos) {
        const auto close = key.find('}', open + 1);
        if (close != std::string_view::npos && close > open + 1) {
            key = key.substr(open + 1, close - open - 1);
        }
    }
    return static_cast<std::uint16_t>(crc16(key) % kClusterSlots);
}

std::optional<Redirect> parse_redirect(const Reply& reply) {
    if (!reply.is_error()) return std::nullopt;
    std::string_view text = reply.text;
    Redirect redirect;
    if (text.starts_with("MOVED ")) {
        text.remove_prefix(6);
    } else if (text.starts_with("ASK ")) {
        redirect.ask = true;
        text.remove_prefix(4);
    } else {
        return std::nullopt;
    }
    const auto space = text.find(' ');
    if (space == std::string_view::npos) return std::nullopt;
    unsigned slot = 0;
    const auto slot_text = text.substr(0, space);
    const auto [end, ec] =
        std::from_chars(slot_text.data(), slot_text.data() + slot_text.size(), slot);
    if (ec != std::errc{} || end != slot_text.data() + slot_text.size() || slot >= kClusterSlots) {
        return std::nullopt;
    }
    const auto address = text.substr(space + 1);
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    const auto port = parse_port(address.substr(colon + 1));
    if (!port) return std::nullopt;
    redirect.slot = static_cast<std::uint16_t>(slot);
    redirect.host = std::string(address.substr(0, colon));
    redirect.port = *port;
    return redirect;
}

std::vector<SlotRange> parse_cluster_slots(const Reply& reply) {
    if (reply.type != Reply::Type::array) throw ProtocolError("CLUSTER SLOTS: not an array");
    std::vector<SlotRange> ranges;
    for (const auto& entry : reply.elements) {
        if (entry.type != Reply::Type::array || entry.elements.size() < 3 ||
            entry.elements[0].type != Reply::Type::integer ||
            entry.elements[1].type != Reply::Type::integer ||
            entry.elements[2].type != Reply::Type::array || entry.elements[2].elements.size() < 2 ||
            entry.elements[2].elements[1].type != Reply::Type::integer) {
            throw ProtocolError("CLUSTER SLOTS: unexpected entry");
        }
        const auto first = entry.elements[0].integer;
        const auto last = entry.elements[1].integer;
        const auto port = entry.elements[2].elements[1].integer;
        if (first < 0 || last < first || last >= kClusterSlots || port <= 0 || port > 65535) {
            throw ProtocolError("CLUSTER SLOTS: slot or port out of range");
        }
        ranges.push_back({static_cast<std::uint16_t>(first), static_cast<std::uint16_t>(last),
                          entry.elements[2].elements[0].text, static_cast<std::uint16_t>(port)});
    }
    return ranges;
}

ClusterClient::ClusterClient(asio::io_context& io, Settings settings, ClientOptions options,
                             Health* health)
    : io_(io),
      settings_(std::move(settings)),
      options_(options),
      health_(health),
      wake_(std::make_unique<asio::steady_timer>(io)) {}

ClusterClient::~ClusterClient() = default;

void ClusterClient::start() {
    started_ = Clock::now();
    node(settings_.host, settings_.port);
    for (const auto& [host, port] : settings_.seeds) node(host, port);
    asio::co_spawn(io_, supervise(), asio::detached);
}

void ClusterClient::stop() {
    stopped_ = true;
    for (auto& n : nodes_) n->client->stop();
    wake_->cancel();
}

asio::awaitable<bool> ClusterClient::wait_connected(std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    asio::steady_timer timer(io_);
    while (!complete_ && Clock::now() < deadline) {
        timer.expires_after(std::chrono::milliseconds(20));
        co_await timer.async_wait(kTuple);
    }
    co_return complete_;
}

std::shared_ptr<ClusterClient::Node> ClusterClient::node(const std::string& host,
                                                         std::uint16_t port) {
    for (auto& n : nodes_) {
        if (n->host == host && n->port == port) return n;
    }
    Settings settings = settings_;
    settings.host = host;
    settings.port = port;
    settings.cluster = false;
    settings.seeds.clear();
    auto created = std::make_shared<Node>();
    created->host = host;
    created->port = port;
    created->client = std::make_shared<Client>(io_, std::move(settings), options_);
    created->client->start();
    nodes_.push_back(created);
    return created;
}

std::shared_ptr<ClusterClient::Node> ClusterClient::any_connected() const {
    for (const auto& n : nodes_) {
        if (n->client->connected()) return n;
    }
    return nullptr;
}

asio::awaitable<void> ClusterClient::supervise() {
    auto self = shared_from_this();
    while (!stopped_) {
        if (refresh_wanted_ || !complete_) co_await refresh();
        if (stopped_) break;
        update_health();
        wake_->expires_after(complete_ ? kRecheckComplete : kRecheckIncomplete);
        co_await wake_->async_wait(kTuple);
    }
}

asio::awaitable<void> ClusterClient::refresh() {
    // Any node that answers knows the whole map; the ones connected are asked first.
    std::vector<std::shared_ptr<Node>> candidates;
    for (const auto& n : nodes_) {
        if (n->client->connected()) candidates.push_back(n);
    }
    for (const auto& source : candidates) {
        std::vector<SlotRange> ranges;
        try {
            static const std::vector<std::string> kClusterSlotsCommand{"CLUSTER", "SLOTS"};
            const Reply reply = co_await source->client->call(kClusterSlotsCommand);
            if (reply.is_error()) continue;
            ranges = parse_cluster_slots(reply);
        } catch (const std::exception&) {
            continue;  // Unavailable or ProtocolError: ask the next node
        }
        if (stopped_) co_return;
        slots_.fill(nullptr);
        std::set<Node*> masters;
        for (const auto& range : ranges) {
            auto owner = node(range.host.empty() ? source->host : range.host, range.port);
            masters.insert(owner.get());
            for (unsigned slot = range.first; slot <= range.last; ++slot) slots_[slot] = owner;
        }
        // Nodes that serve nothing any more (a failed master, now gone or a replica) are
        // dropped, unless they are seeds (kept to find the cluster again).
        std::erase_if(nodes_, [&](const std::shared_ptr<Node>& n) {
            const bool seed =
                (n->host == settings_.host && n->port == settings_.port) ||
                std::any_of(settings_.seeds.begin(), settings_.seeds.end(), [&](const auto& s) {
                    return s.first == n->host && s.second == n->port;
                });
            if (masters.contains(n.get()) || seed) return false;
            n->client->stop();
            return true;
        });
        refresh_wanted_ = false;
        co_return;
    }
}

void ClusterClient::update_health() {
    bool complete = true;
    const Node* previous = nullptr;
    for (const auto& owner : slots_) {
        if (!owner) {
            complete = false;
            break;
        }
        if (owner.get() == previous) continue;
        previous = owner.get();
        if (!owner->client->connected()) {
            complete = false;
            break;
        }
    }
    complete_ = complete;
    if (health_ == nullptr) return;
    if (complete && !counted_up_) {
        counted_up_ = true;
        health_->client_connected();
    } else if (!complete && (counted_up_ || Clock::now() - started_ > options_.connect_timeout)) {
        // At start the nodes get their connect timeout before the store counts as down.
        const bool was = counted_up_;
        counted_up_ = false;
        health_->client_lost("Redis Cluster: a slot has no reachable master", was);
    }
}

asio::awaitable<Reply> ClusterClient::routed(std::optional<std::uint16_t> slot,
                                             const std::vector<std::string>& command) {
    std::shared_ptr<Node> target = slot ? slots_[*slot] : any_connected();
    bool asking = false;
    for (int attempt = 0; attempt <= kMaxRedirections; ++attempt) {
        if (!target) {
            refresh_wanted_ = true;
            wake_->cancel();
            throw Unavailable(slot ? "no reachable Redis Cluster node serves slot " +
                                         std::to_string(*slot)
                                   : std::string("no Redis Cluster node is connected"));
        }
        Reply reply;
        try {
            // (Not a conditional expression: GCC 12 mis-destroys co_await temporaries in one.)
            if (asking) {
                reply = co_await target->client->call_asking(command);
            } else {
                reply = co_await target->client->call(command);
            }
        } catch (const Unavailable&) {
            // That node is down or frozen: only the keys it serves fail (decisions A.4 per node),
            // and the map is looked at again (a replica may be taking over).
            refresh_wanted_ = true;
            wake_->cancel();
            throw;
        }
        if (auto redirect = parse_redirect(reply)) {
            auto next =
                node(redirect->host.empty() ? target->host : redirect->host, redirect->port);
            asking = redirect->ask;
            if (!asking) {
                slots_[redirect->slot] = next;
                refresh_wanted_ = true;
                wake_->cancel();
            }
            target = std::move(next);
            continue;
        }
        if (reply.is_error() &&
            (reply.text.starts_with("TRYAGAIN") || reply.text.starts_with("CLUSTERDOWN"))) {
            refresh_wanted_ = true;
            wake_->cancel();
            throw Unavailable("Redis Cluster: " + reply.text);
        }
        co_return reply;
    }
    throw Unavailable("Redis Cluster: too many redirections");
}

asio::awaitable<Reply> ClusterClient::call(const std::vector<std::string>& args) {
    std::optional<std::uint16_t> slot;
    if (args.size() > 1) slot = key_slot(args[1]);
    co_return co_await routed(slot, args);
}

asio::awaitable<Reply> ClusterClient::run_script(const Script& script,
                                                 const std::vector<std::string>& keys,
                                                 const std::vector<std::string>& args) {
    std::optional<std::uint16_t> slot;
    for (const auto& key : keys) {
        const auto key_slot_value = key_slot(key);
        if (slot && *slot != key_slot_value) {
            throw std::logic_error("a Redis script's keys span several cluster slots");
        }
        slot = key_slot_value;
    }
    Reply reply = co_await routed(slot, script_command(script, keys, args, false));
    if (reply.is_error() && reply.text.starts_with("NOSCRIPT")) {
        reply = co_await routed(slot, script_command(script, keys, args, true));
    }
    co_return reply;
}

}  // namespace portcullis::redis
