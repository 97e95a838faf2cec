// `portcullis keys generate [--dir D]` (issue #15): a new Ed25519 key for EdDSA access tokens,
// written to JWT_SIGNING_KEYS_DIR (or --dir) under a name that sorts after the keys already there,
// so it signs from the next start while the older keys keep verifying.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <exception>
#include <memory>
#include <string>

#include "auth/ed25519_key.hpp"
#include "auth/signing_keys.hpp"
#include "cli/command_support.hpp"
#include "cli/commands/commands.hpp"

namespace portcullis::cli {
namespace {

int generate(const std::string& dir_option) {
    std::string dir = dir_option;
    if (dir.empty()) {
        const auto environment = load_environment({.signing_keys = true}, ProblemStyle::text);
        if (!environment) return 1;
        if (!environment->config.jwt_signing_keys_dir) {
            std::fprintf(stderr, "[keys:generate] give --dir or set JWT_SIGNING_KEYS_DIR\n");
            return 1;
        }
        dir = *environment->config.jwt_signing_keys_dir;
    }
    try {
        const auto key = auth::Ed25519Key::generate();
        const std::string path = auth::write_new_signing_key(dir, key);
        std::printf("[keys:generate] wrote %s (kid %s); it signs once the service restarts\n",
                    path.c_str(), key.kid().c_str());
        return 0;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "[keys:generate] failed: %s\n", e.what());
        return 1;
    }
}

}  // namespace

void add_keys(CLI::App& app, Runner& chosen) {
    auto* keys = app.add_subcommand("keys", "Ed25519 keys of EdDSA access tokens");
    keys->require_subcommand(1);
    auto dir = std::make_shared<std::string>();
    auto* generate_cmd = keys->add_subcommand(
        "generate", "Write a new signing key (it signs after the next start; older keys verify)");
    generate_cmd->add_option("--dir", *dir, "Key folder (default: JWT_SIGNING_KEYS_DIR)");
    generate_cmd->callback([&chosen, dir] { chosen = [dir] { return generate(*dir); }; });
}

}  // namespace portcullis::cli
