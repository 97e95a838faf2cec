// See cli.hpp.
#include "cli/cli.hpp"

#include <CLI/CLI.hpp>

namespace portcullis::cli {

int run(int argc, char** argv, const Commands& commands) {
    CLI::App app{"Portcullis: authentication API service (users, sessions, JWT)", "portcullis"};
    app.require_subcommand(1);

    ServeArgs serve_args;
    auto* serve = app.add_subcommand("serve", "Serve the HTTP API on PORT (default 3000)");

    auto* version = app.add_subcommand("version", "Print version, git SHA and build time");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    if (serve->parsed()) return commands.serve(serve_args);
    if (version->parsed()) return commands.version();
    return 1;
}

}  // namespace portcullis::cli
