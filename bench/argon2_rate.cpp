// The ceiling of `POST /auth/login`: raw libsodium Argon2id hashes per second on T threads, with
// the service's hashing call (crypto_pwhash_str_alg, one lane, a fresh salt per hash) and the same
// memory and passes. bench/run.sh runs it next to the login row; see bench/README.md.
//
//   portcullis_argon2_rate [--threads T] [--seconds D] [--memory-kib M] [--iterations I]
//
// Defaults: one thread per core, 10 s, 65536 KiB, 3 passes (the service defaults). Each thread
// hashes until the deadline; only hashes finished before it count, and the rate is that count
// divided by D: what wrk reports for the login row (requests completed within -d, divided by the
// run time), so the two are comparable. Prints one line:
//   hashes_per_sec=<rate> hashes=<n> threads=<T> seconds=<D> memory_kib=<M> iterations=<I>
#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
    unsigned threads = 0;
    double seconds = 10.0;
    std::uint64_t memory_kib = 65536;
    std::uint64_t iterations = 3;
};

[[noreturn]] void usage(const char* message) {
    std::fprintf(stderr,
                 "portcullis_argon2_rate: %s\n"
                 "usage: portcullis_argon2_rate [--threads T] [--seconds D] [--memory-kib M] "
                 "[--iterations I]\n",
                 message);
    std::exit(2);
}

double parse_number(const char* text, const char* flag) {
    char* end = nullptr;
    const double value = std::strtod(text, &end);
    if (end == text || *end != '\0' || !(value > 0)) usage(flag);
    return value;
}

Options parse(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view flag = argv[i];
        if (i + 1 >= argc) usage("missing value");
        const char* value = argv[++i];
        if (flag == "--threads") {
            options.threads = static_cast<unsigned>(parse_number(value, "bad --threads"));
        } else if (flag == "--seconds") {
            options.seconds = parse_number(value, "bad --seconds");
        } else if (flag == "--memory-kib") {
            options.memory_kib =
                static_cast<std::uint64_t>(parse_number(value, "bad --memory-kib"));
        } else if (flag == "--iterations") {
            options.iterations =
                static_cast<std::uint64_t>(parse_number(value, "bad --iterations"));
        } else {
            usage("unknown option");
        }
    }
    if (options.threads == 0) options.threads = std::max(1U, std::thread::hardware_concurrency());
    return options;
}

}  // namespace

int main(int argc, char** argv) {
    const Options options = parse(argc, argv);
    if (sodium_init() < 0) {
        std::fprintf(stderr, "portcullis_argon2_rate: sodium_init failed\n");
        return 1;
    }
    // A password of the shape the login row sends (the length hardly matters to Argon2).
    static constexpr std::string_view kPassword = "Bench-Passw0rd!";
    std::atomic<bool> failed{false};
    std::vector<std::uint64_t> counts(options.threads, 0);
    std::vector<std::thread> threads;
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(options.seconds));
    for (unsigned t = 0; t < options.threads; ++t) {
        threads.emplace_back([&, t] {
            char out[crypto_pwhash_STRBYTES];
            std::uint64_t done = 0;
            while (Clock::now() < deadline) {
                if (crypto_pwhash_str_alg(out, kPassword.data(), kPassword.size(),
                                          options.iterations,
                                          static_cast<std::size_t>(options.memory_kib) * 1024U,
                                          crypto_pwhash_ALG_ARGON2ID13) != 0) {
                    failed = true;
                    return;
                }
                if (Clock::now() <= deadline) ++done;
            }
            counts[t] = done;
        });
    }
    for (auto& thread : threads) thread.join();
    if (failed) {
        std::fprintf(stderr,
                     "portcullis_argon2_rate: crypto_pwhash_str_alg failed (out of memory?)\n");
        return 1;
    }
    std::uint64_t total = 0;
    for (const auto count : counts) total += count;
    std::printf(
        "hashes_per_sec=%.2f hashes=%llu threads=%u seconds=%g memory_kib=%llu iterations=%llu\n",
        static_cast<double>(total) / options.seconds, static_cast<unsigned long long>(total),
        options.threads, options.seconds, static_cast<unsigned long long>(options.memory_kib),
        static_cast<unsigned long long>(options.iterations));
    return 0;
}
