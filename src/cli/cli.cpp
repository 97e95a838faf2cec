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

    ClearAttemptsArgs clear_args;
    auto* attempts = app.add_subcommand("login-attempts", "Login lockout bookkeeping");
    attempts->require_subcommand(1);
    auto* clear = attempts->add_subcommand(
        "clear", "Unlock logins: delete the lockout records (Redis keys and table rows)");
    clear->add_option("--email", clear_args.email, "The account's email (any case)")->required();
    clear->add_option("--ip", clear_args.ip, "Only the records of this client address");

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    if (serve->parsed()) return commands.serve(serve_args);
    if (version->parsed()) return commands.version();
    if (deploy->parsed()) return commands.migrate_deploy();
    if (status->parsed()) return commands.migrate_status();
    if (clear->parsed()) return commands.clear_login_attempts(clear_args);
    return 1;
}

}  // namespace portcullis::cli
