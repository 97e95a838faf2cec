// See random.hpp.
#include "util/random.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <stdexcept>

namespace portcullis::util {

namespace {
void fill_from_openssl(unsigned char* out, std::size_t size) {
    if (RAND_bytes(out, static_cast<int>(size)) != 1) {
        throw std::runtime_error("system random generator failed");
    }
}

// Small requests are served from a per-thread pool refilled in 4 KiB blocks: OpenSSL's DRBG
// takes locks on every call, which showed up on the request path (one UUID per request).
class ThreadPool {
public:
    void take(unsigned char* out, std::size_t size) {
        while (size > 0) {
            if (used_ == pool_.size()) {
                fill_from_openssl(pool_.data(), pool_.size());
                used_ = 0;
            }
            const std::size_t n = std::min(size, pool_.size() - used_);
            std::memcpy(out, pool_.data() + used_, n);
            // Bytes handed out are erased from the pool so they exist in one place only.
            std::memset(pool_.data() + used_, 0, n);
            used_ += n;
            out += n;
            size -= n;
        }
    }

private:
    std::array<unsigned char, 4096> pool_{};
    std::size_t used_ = pool_.size();
};
constexpr std::size_t kPoolMaxRequest = 64;
}  // namespace

void random_bytes(void* out, std::size_t size) {
    auto* bytes = static_cast<unsigned char*>(out);
    if (size > kPoolMaxRequest) {
        fill_from_openssl(bytes, size);
        return;
    }
    thread_local ThreadPool pool;
    pool.take(bytes, size);
}

std::string uuid_v4() {
    std::array<std::uint8_t, 16> b{};
    random_bytes(b.data(), b.size());
    b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(36, '-');
    std::size_t at = 0;
    for (std::size_t i = 0; i < b.size(); ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) ++at;  // over a dash
        out[at++] = kHex[b[i] >> 4];
        out[at++] = kHex[b[i] & 0x0f];
    }
    return out;
}

}  // namespace portcullis::util
