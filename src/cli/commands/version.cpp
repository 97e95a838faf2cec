// `portcullis version`: the build metadata /version serves (contract 14).
#include <CLI/CLI.hpp>

#include <cstdio>

#include "cli/commands/commands.hpp"
#include "util/build_info.hpp"

namespace portcullis::cli {

void add_version(CLI::App& app, Runner& chosen) {
    app.add_subcommand("version", "Print version, git SHA and build time")->callback([&chosen] {
        chosen = [] {
            std::printf("%s (%s, built %s)\n", build_info::kVersion, build_info::kGitSha,
                        build_info::kBuildTime);
            return 0;
        };
    });
}

}  // namespace portcullis::cli
