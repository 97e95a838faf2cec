// `portcullis blocklist check [--file F] [--stats]` and `portcullis blocklist verify [--file F]`
// (issue #16): check candidate passwords against the configured blocklist (AUTH_PASSWORD_BLOCKLIST
// or --file), and verify that a Have-I-Been-Pwned style file is usable: every line
// `<40 hex digits>[:count]`, sorted, since binary search gives wrong answers on unsorted lines.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "auth/password_blocklist.hpp"
#include "cli/command_support.hpp"
#include "cli/commands/commands.hpp"

namespace portcullis::cli {
namespace {

struct BlocklistArgs {
    std::string file;
    bool stats = false;
};

// A `<field>: <n> kB` line of /proc/self/status (0 when /proc is not there): VmRSS is the whole
// resident set, RssFile its file-backed part (the mapped blocklist file's pages).
std::int64_t status_kib(std::string_view field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.size() > field.size() && line.compare(0, field.size(), field) == 0 &&
            line[field.size()] == ':') {
            return std::stoll(line.substr(field.size() + 1));
        }
    }
    return 0;
}

// The blocklist as `serve` would build it, or the built-in list and --file.
std::unique_ptr<auth::PasswordBlocklist> blocklist_of(const BlocklistArgs& args) {
    if (!args.file.empty()) {
        return std::make_unique<auth::PasswordBlocklist>(
            auth::PasswordBlocklist::with_file(args.file));
    }
    const auto environment = load_environment({.password_blocklist = true}, ProblemStyle::text);
    if (!environment) return nullptr;
    switch (environment->config.auth_password_blocklist) {
        case config::PasswordBlocklistMode::off:
            return std::make_unique<auth::PasswordBlocklist>(auth::PasswordBlocklist::off());
        case config::PasswordBlocklistMode::file:
            return std::make_unique<auth::PasswordBlocklist>(auth::PasswordBlocklist::with_file(
                environment->config.auth_password_blocklist_file));
        case config::PasswordBlocklistMode::builtin:
            break;
    }
    return std::make_unique<auth::PasswordBlocklist>(auth::PasswordBlocklist::builtin());
}

// One password per line on stdin; one verdict per line on stdout (`breached` or `ok`, never the
// password). --stats adds a JSON line on stderr: lookups, time per lookup, resident memory (all,
// and file-backed).
int check(const BlocklistArgs& args) {
    std::unique_ptr<auth::PasswordBlocklist> blocklist;
    try {
        blocklist = blocklist_of(args);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "[blocklist:check] %s\n", e.what());
        return 1;
    }
    if (!blocklist) return 1;
    const std::int64_t rss_before = status_kib("VmRSS");
    const std::int64_t file_before = status_kib("RssFile");
    std::int64_t lookups = 0;
    std::int64_t breached = 0;
    double total_us = 0;
    double max_us = 0;
    std::string line;
    while (std::getline(std::cin, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto start = std::chrono::steady_clock::now();
        const auto verdict = blocklist->check(line, {});
        const std::chrono::duration<double, std::micro> took =
            std::chrono::steady_clock::now() - start;
        total_us += took.count();
        max_us = std::max(max_us, took.count());
        ++lookups;
        const bool refused = verdict != auth::PasswordVerdict::ok;
        breached += refused ? 1 : 0;
        std::fputs(refused ? "breached\n" : "ok\n", stdout);
    }
    if (args.stats) {
        std::fprintf(
            stderr,
            "{\"lookups\":%lld,\"breached\":%lld,\"meanMicros\":%.1f,\"maxMicros\":%.1f,"
            "\"rssBeforeKiB\":%lld,\"rssAfterKiB\":%lld,\"rssFileBeforeKiB\":%lld,"
            "\"rssFileAfterKiB\":%lld}\n",
            static_cast<long long>(lookups), static_cast<long long>(breached),
            lookups > 0 ? total_us / static_cast<double>(lookups) : 0.0, max_us,
            static_cast<long long>(rss_before), static_cast<long long>(status_kib("VmRSS")),
            static_cast<long long>(file_before), static_cast<long long>(status_kib("RssFile")));
    }
    return 0;
}

bool is_hex(char c) {
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
}

char upper(char c) {
    return (c >= 'a' && c <= 'f') ? static_cast<char>(c - 'a' + 'A') : c;
}

int verify(const BlocklistArgs& args) {
    std::string path = args.file;
    if (path.empty()) {
        const auto environment = load_environment({.password_blocklist = true}, ProblemStyle::text);
        if (!environment) return 1;
        if (environment->config.auth_password_blocklist != config::PasswordBlocklistMode::file) {
            std::fprintf(stderr,
                         "[blocklist:verify] AUTH_PASSWORD_BLOCKLIST names no file; give --file\n");
            return 1;
        }
        path = environment->config.auth_password_blocklist_file;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::fprintf(stderr, "[blocklist:verify] cannot open %s\n", path.c_str());
        return 1;
    }
    std::string line;
    std::string previous;
    std::int64_t number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto colon = line.find(':');
        const std::string hash = line.substr(0, colon);
        const bool counted = colon == std::string::npos ||
                             (colon + 1 < line.size() &&
                              std::all_of(line.begin() + static_cast<std::ptrdiff_t>(colon) + 1,
                                          line.end(), [](char c) { return c >= '0' && c <= '9'; }));
        if (hash.size() != 40 || !std::all_of(hash.begin(), hash.end(), is_hex) || !counted) {
            std::fprintf(stderr, "[blocklist:verify] line %lld is not `<40 hex digits>:<count>`\n",
                         static_cast<long long>(number));
            return 1;
        }
        std::string key(hash);
        std::transform(key.begin(), key.end(), key.begin(), upper);
        if (!previous.empty() && key <= previous) {
            std::fprintf(stderr,
                         "[blocklist:verify] line %lld is not after line %lld (the file "
                         "must be sorted by hash, without repeats)\n",
                         static_cast<long long>(number), static_cast<long long>(number - 1));
            return 1;
        }
        previous = std::move(key);
    }
    if (number == 0) {
        std::fprintf(stderr, "[blocklist:verify] %s is empty\n", path.c_str());
        return 1;
    }
    std::printf("%s: %lld sorted SHA-1 lines\n", path.c_str(), static_cast<long long>(number));
    return 0;
}

}  // namespace

void add_blocklist(CLI::App& app, Runner& chosen) {
    auto* blocklist = app.add_subcommand(
        "blocklist", "The password blocklist: check passwords, verify a breached-hash file");
    blocklist->require_subcommand(1);

    auto check_args = std::make_shared<BlocklistArgs>();
    auto* check_cmd = blocklist->add_subcommand(
        "check", "Read passwords from stdin (one per line); print breached or ok for each");
    check_cmd->add_option("--file", check_args->file,
                          "A sorted SHA1:count file (default: AUTH_PASSWORD_BLOCKLIST)");
    check_cmd->add_flag("--stats", check_args->stats,
                        "Print lookups, time per lookup and resident memory to stderr (JSON)");
    check_cmd->callback(
        [&chosen, check_args] { chosen = [check_args] { return check(*check_args); }; });

    auto verify_args = std::make_shared<BlocklistArgs>();
    auto* verify_cmd = blocklist->add_subcommand(
        "verify", "Check that a breached-hash file is well formed and sorted (reads it whole)");
    verify_cmd->add_option("--file", verify_args->file,
                           "The file (default: AUTH_PASSWORD_BLOCKLIST)");
    verify_cmd->callback(
        [&chosen, verify_args] { chosen = [verify_args] { return verify(*verify_args); }; });
}

}  // namespace portcullis::cli
