// Connection admission (issue #19): a cap on open connections per process and per client
// address. Shared by every I/O thread of a server; the per-address cap applies to the socket
// peer, except to peers TRUST_PROXY trusts (a trusted proxy speaks for many clients).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

#include "util/ip_address.hpp"
#include "util/trust_proxy.hpp"

namespace portcullis::http {

// A peer address as a map key: a family byte, then the address (IPv4-mapped addresses as IPv4).
struct PeerKey {
    std::array<std::uint8_t, 17> bytes{};
    friend bool operator==(const PeerKey&, const PeerKey&) = default;
};
PeerKey peer_key(const util::IpAddress& address);

// Whether TRUST_PROXY trusts `peer` as a proxy (the first hop of contract 2.4's walk).
bool trusts_peer(const util::TrustProxy& trust, const util::IpAddress& peer);

enum class Admission { admitted, total_full, address_full };

class ConnectionLimits {
public:
    // 0 means no limit.
    ConnectionLimits(std::size_t max_total, std::size_t max_per_address);

    // Takes one slot for a connection from `peer` unless a cap is reached. `exempt` peers count
    // toward the total only. Thread-safe.
    Admission admit(const PeerKey& peer, bool exempt);
    // Gives back the slot of an admitted connection. Thread-safe.
    void release(const PeerKey& peer, bool exempt);

    std::size_t open() const;
    std::size_t max_total() const { return max_total_; }

private:
    struct Hash {
        std::size_t operator()(const PeerKey& key) const;
    };
    const std::size_t max_total_;
    const std::size_t max_per_address_;
    mutable std::mutex mutex_;
    std::size_t open_ = 0;
    std::unordered_map<PeerKey, std::size_t, Hash> per_address_;
};

}  // namespace portcullis::http
