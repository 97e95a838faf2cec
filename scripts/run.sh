#!/usr/bin/env bash
# `make run`: serve on :3000 (or $PORT) against $DATABASE_URL, or against the private local stack.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [ -z "${DATABASE_URL:-}" ]; then
    scripts/stack.sh start >/dev/null
    # shellcheck disable=SC1091
    . .local/stack.env
    export DATABASE_URL="$PORTCULLIS_TEST_DATABASE_URL"
fi
# Development defaults for a local run; a real deployment sets its own secrets.
export JWT_ACCESS_SECRET="${JWT_ACCESS_SECRET:-local-dev-access-secret-change-me-0123456789}"
export JWT_REFRESH_SECRET="${JWT_REFRESH_SECRET:-local-dev-refresh-secret-change-me-0123456789}"
exec build/release/src/portcullis serve --migrate
