// `portcullis check-config [--list-variables]`: validates the environment exactly as `serve`
// does, connecting to nothing, so a deployment can test its ConfigMap and Secret before rollout.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "cli/command_support.hpp"
#include "cli/commands/commands.hpp"
#include "observability/logger.hpp"

namespace portcullis::cli {
namespace {

int check_config(bool list_variables) {
    if (list_variables) {
        for (const auto& name : config::known_variables()) std::printf("%s\n", name.c_str());
        return 0;
    }
    observability::Logger logger(observability::Level::info);
    const auto environment =
        load_environment(config::Scope::everything(), ProblemStyle::json_log, &logger);
    if (!environment) return 1;
    for (const auto& warning : environment->warnings) {
        logger.log(observability::Level::warn, warning);
    }
    std::printf("configuration ok\n");
    return 0;
}

}  // namespace

void add_check_config(CLI::App& app, Runner& chosen) {
    auto list = std::make_shared<bool>(false);
    auto* cmd = app.add_subcommand(
        "check-config", "Validate the configuration as serve would, connecting to nothing");
    cmd->add_flag("--list-variables", *list,
                  "Print every environment variable the binary reads, one per line");
    cmd->callback([&chosen, list] { chosen = [list] { return check_config(*list); }; });
}

}  // namespace portcullis::cli
