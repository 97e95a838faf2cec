#!/usr/bin/env bash
# Installs the Debian 12 packages Portcullis needs to build, test and benchmark.
# Idempotent: only missing packages are installed, and `apt-get update` runs at most once per call.
set -euo pipefail

packages=(
    build-essential cmake ninja-build ccache pkg-config git
    libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
    libpq-dev libhiredis-dev libssl-dev libsodium-dev libcurl4-openssl-dev zlib1g-dev libbrotli-dev libjemalloc-dev
    libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev
    postgresql-15 postgresql-client-15 redis-server python3-aiosmtpd nginx wrk curl procps
    prometheus  # for promtool: tests run `promtool check metrics` on /metrics (service never started)
    chromium    # the browser test of /docs (tests/tools/docs_browser.mjs, puppeteer-core)
)
# The build embeds Swagger UI from npm and the tests run npm tools: Node.js 20 or later with npm
# (@redocly/cli 2 needs 20.19+).
# A machine that already has one (e.g. from NodeSource) keeps it; Debian's packages otherwise.
node_major=$(node --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p')
if [ -z "$node_major" ] || [ "$node_major" -lt 20 ] || ! command -v npm >/dev/null; then
    packages+=(nodejs npm)
fi
if [ "${PORTCULLIS_INSTALL_EXTRA:-}" != "" ]; then
    read -r -a extra <<<"$PORTCULLIS_INSTALL_EXTRA"
    packages+=("${extra[@]}")
fi

missing=()
for p in "${packages[@]}"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps: missing packages (${missing[*]}); run as root or install them" >&2
    exit 1
fi

echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# Keep the distribution's servers from starting their own default instances: we run private ones.
policy_created=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    policy_created=1
fi
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
[ $policy_created -eq 1 ] && rm -f /usr/sbin/policy-rc.d
exit 0
