// See connection_limits.hpp.
#include "http/connection_limits.hpp"

#include "util/cidr.hpp"

namespace portcullis::http {

PeerKey peer_key(const util::IpAddress& address) {
    const util::IpAddress plain = util::unmap_ipv4(address);
    PeerKey key;
    key.bytes[0] = plain.v6 ? 6 : 4;
    for (std::size_t i = 0; i < plain.bytes.size(); ++i) key.bytes[i + 1] = plain.bytes[i];
    return key;
}

bool trusts_peer(const util::TrustProxy& trust, const util::IpAddress& peer) {
    switch (trust.kind) {
        case util::TrustProxy::Kind::nothing:
            return false;
        case util::TrustProxy::Kind::everything:
            return true;
        case util::TrustProxy::Kind::hops:
            return trust.hops > 0;
        case util::TrustProxy::Kind::ranges:
            for (const auto& range : trust.ranges) {
                if (util::contains(range, peer)) return true;
            }
            return false;
    }
    return false;
}

std::size_t ConnectionLimits::Hash::operator()(const PeerKey& key) const {
    // FNV-1a: peers are few and the map is touched once per connection.
    std::uint64_t h = 1469598103934665603ULL;
    for (const auto byte : key.bytes) {
        h ^= byte;
        h *= 1099511628211ULL;
    }
    return static_cast<std::size_t>(h);
}

ConnectionLimits::ConnectionLimits(std::size_t max_total, std::size_t max_per_address)
    : max_total_(max_total), max_per_address_(max_per_address) {}

Admission ConnectionLimits::admit(const PeerKey& peer, bool exempt) {
    const std::lock_guard lock(mutex_);
    if (max_total_ != 0 && open_ >= max_total_) return Admission::total_full;
    if (!exempt) {
        auto& count = per_address_[peer];
        if (max_per_address_ != 0 && count >= max_per_address_) {
            if (count == 0) per_address_.erase(peer);
            return Admission::address_full;
        }
        ++count;
    }
    ++open_;
    return Admission::admitted;
}

void ConnectionLimits::release(const PeerKey& peer, bool exempt) {
    const std::lock_guard lock(mutex_);
    --open_;
    if (exempt) return;
    const auto it = per_address_.find(peer);
    if (it == per_address_.end()) return;
    if (--it->second == 0) per_address_.erase(it);
}

std::size_t ConnectionLimits::open() const {
    const std::lock_guard lock(mutex_);
    return open_;
}

}  // namespace portcullis::http
