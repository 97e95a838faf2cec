// See cli.hpp. The list of commands reads as `portcullis --help` prints it.
#include "cli/cli.hpp"

#include <CLI/CLI.hpp>

#include "cli/commands/commands.hpp"

namespace portcullis::cli {

int run(int argc, char** argv) {
    CLI::App app{"Portcullis: authentication API service (users, sessions, JWT)", "portcullis"};
    app.require_subcommand(1);
    Runner chosen;
    add_serve(app, chosen);
    add_migrate(app, chosen);
    add_user(app, chosen);
    add_sessions(app, chosen);
    add_login_attempts(app, chosen);
    add_audit(app, chosen);
    add_hash(app, chosen);
    add_blocklist(app, chosen);
    add_check_config(app, chosen);
    add_healthcheck(app, chosen);
    add_keys(app, chosen);
    add_version(app, chosen);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        return app.exit(e);
    }
    return chosen ? chosen() : 1;
}

}  // namespace portcullis::cli
