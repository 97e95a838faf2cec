// See cli.hpp.
#include "cli/cli.hpp"

#include <CLI/CLI.hpp>

namespace portcullis::cli {

int run(int argc, char** argv, const Commands& commands) {
    CLI::App app{"Portcullis: authentication API service (users, sessions, JWT)", "portcullis"};
    app.require_subcommand(1);

    ServeArgs serve_args;
    auto* serve = app.add_subcommand("serve", "Serve the HTTP API on PORT (default 3000)");

    serve->add_flag("--migrate", serve_args.migrate,
                    "Apply pending database migrations first (exit 1 if that fails)");

    auto* version = app.add_subcommand("version", "Print version, git SHA and build time");

    auto* migrate = app.add_subcommand("migrate", "Database migrations (Prisma-compatible)");
    migrate->require_subcommand(1);
    auto* deploy = migrate->add_subcommand("deploy", "Apply every pending migration");
    auto* status = migrate->add_subcommand("status", "List applied, pending and failed migrations");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    if (serve->parsed()) return commands.serve(serve_args);
    if (version->parsed()) return commands.version();
    if (deploy->parsed()) return commands.migrate_deploy();
    if (status->parsed()) return commands.migrate_status();
    return 1;
}

}  // namespace portcullis::cli
