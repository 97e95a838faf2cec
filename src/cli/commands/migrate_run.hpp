// `migrate deploy` as a step, shared by `portcullis migrate deploy` and `serve --migrate`.
#pragma once

#include "db/dsn.hpp"

namespace portcullis::observability {
class Logger;
}

namespace portcullis::cli {

// Applies pending migrations, logging each; false (after a fatal line) when it failed.
bool run_migrations(const db::ConnectionSettings& settings, observability::Logger& logger);

}  // namespace portcullis::cli
