// `portcullis hash calibrate [--target-ms 250] [--memory-kib 65536]`: measures Argon2id (the
// service's own libsodium call, one lane) on this machine and prints the AUTH_ARGON2_* values
// whose hash time comes closest to the target (issue #16). Passes are chosen at the given memory;
// when one pass is already slower than the target, the memory is halved down to OWASP's floor of
// 19 MiB.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <vector>

#include "auth/password.hpp"
#include "cli/commands/commands.hpp"

namespace portcullis::cli {
namespace {

// OWASP's Password Storage Cheat Sheet: Argon2id with at least 19 MiB and 2 passes, or 46 MiB and
// one pass.
constexpr std::uint32_t kOwaspMemoryKib = 19456;
constexpr std::uint32_t kOwaspOnePassMemoryKib = 47104;
constexpr std::uint32_t kMaxIterations = 64;
constexpr int kSamples = 3;

struct CalibrateArgs {
    int target_ms = 250;
    std::uint32_t memory_kib = 65536;
};

// The median of kSamples hashes, in milliseconds.
double measure(const auth::Argon2Params& params) {
    std::vector<double> times;
    for (int i = 0; i < kSamples; ++i) {
        const auto start = std::chrono::steady_clock::now();
        auth::hash_password("calibration password", params);
        const std::chrono::duration<double, std::milli> took =
            std::chrono::steady_clock::now() - start;
        times.push_back(took.count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}

int calibrate(const CalibrateArgs& args) {
    const double target = args.target_ms;
    std::printf(
        "Argon2id (libsodium, 1 lane) on this machine, median of %d hashes each; target "
        "%d ms:\n",
        kSamples, args.target_ms);
    auth::Argon2Params params{args.memory_kib, 1};
    double one_pass = measure(params);
    std::printf("  m=%u KiB t=1: %.0f ms\n", params.memory_kib, one_pass);
    while (one_pass > target && params.memory_kib / 2 >= kOwaspMemoryKib) {
        params.memory_kib /= 2;
        one_pass = measure(params);
        std::printf("  m=%u KiB t=1: %.0f ms\n", params.memory_kib, one_pass);
    }
    // Time grows linearly with passes: fixed cost + per-pass cost, from t=1 and t=2.
    params.iterations = 2;
    const double two_passes = measure(params);
    std::printf("  m=%u KiB t=2: %.0f ms\n", params.memory_kib, two_passes);
    const double per_pass = std::max(two_passes - one_pass, 0.01);
    const double fixed = std::max(one_pass - per_pass, 0.0);
    const double estimate = std::round((target - fixed) / per_pass);
    params.iterations =
        static_cast<std::uint32_t>(std::clamp(estimate, 1.0, static_cast<double>(kMaxIterations)));
    const double chosen = measure(params);
    std::printf("  m=%u KiB t=%u: %.0f ms  <- closest to the target\n", params.memory_kib,
                params.iterations, chosen);
    const bool owasp = params.memory_kib >= kOwaspOnePassMemoryKib ||
                       (params.memory_kib >= kOwaspMemoryKib && params.iterations >= 2);
    if (!owasp) {
        std::printf(
            "note: below OWASP's minimum (Argon2id m=19456 KiB with t=2, or m=47104 KiB "
            "with t=1); prefer a larger target on this machine\n");
    }
    std::printf("AUTH_ARGON2_MEMORY_KIB=%u\nAUTH_ARGON2_ITERATIONS=%u\n", params.memory_kib,
                params.iterations);
    return 0;
}

}  // namespace

void add_hash(CLI::App& app, Runner& chosen) {
    auto* hash = app.add_subcommand("hash", "Password hashing (Argon2id) tools");
    hash->require_subcommand(1);
    auto args = std::make_shared<CalibrateArgs>();
    auto* calibrate_cmd = hash->add_subcommand(
        "calibrate", "Measure Argon2id here and print AUTH_ARGON2_* values for a target time");
    calibrate_cmd->add_option("--target-ms", args->target_ms, "Time one hash should take (ms)")
        ->check(CLI::Range(1, 60000));
    calibrate_cmd
        ->add_option("--memory-kib", args->memory_kib,
                     "Memory to start from, KiB (default 65536, the service default)")
        ->check(CLI::Range(8192U, 4194304U));
    calibrate_cmd->callback([&chosen, args] { chosen = [args] { return calibrate(*args); }; });
}

}  // namespace portcullis::cli
