#!/usr/bin/env bash
# Installs the Debian 12 packages Portcullis needs to build, test and benchmark.
# Idempotent: only missing packages are installed, and `apt-get update` runs at most once per call.
#   scripts/install-deps.sh              build, test and benchmark (what `make test` needs)
#   scripts/install-deps.sh --build      only what compiling the binary needs (the image's build stage)
#   scripts/install-deps.sh --container  the above plus podman & co. (`make image`, `make test-container`)
#   scripts/install-deps.sh --fuzz       the above plus clang and libFuzzer (`make fuzz`)
set -euo pipefail

build_packages=(
    build-essential cmake ninja-build ccache pkg-config git
    libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
    libpq-dev libhiredis-dev libssl-dev libsodium-dev libcurl4-openssl-dev zlib1g-dev libbrotli-dev libjemalloc-dev
    libcli11-dev libqrencode-dev
)
packages=(
    "${build_packages[@]}"
    libgtest-dev libgmock-dev libbenchmark-dev clang-format
    postgresql-15 postgresql-client-15 redis-server python3-aiosmtpd nginx wrk curl procps
    haproxy     # scripts/cluster.sh: replicas behind a load balancer (scale tests, make chaos)
    prometheus  # for promtool: tests run `promtool check metrics` on /metrics (service never started)
    yamllint python3-yaml docker-compose  # deployment kit tests (tests/deploy): lint, parse, `config`
    chromium    # the browser test of /docs (tests/tools/docs_browser.mjs, puppeteer-core)
)
# Node.js with npm: the build embeds Swagger UI from npm (Node 18, Debian 12's, suffices); the tests
# run @redocly/cli 2, which needs Node 20.19+ (NodeSource's 20 on the development machines and CI).
# A machine whose node is recent enough keeps it; otherwise Debian's packages are installed.
node_older_than() {
    local major
    major=$(node --version 2>/dev/null | sed -n 's/^v\([0-9]*\)\..*/\1/p')
    [ -z "$major" ] || [ "$major" -lt "$1" ] || ! command -v npm >/dev/null
}
case "${1:-}" in
    --build)
        packages=("${build_packages[@]}")
        if node_older_than 18; then packages+=(nodejs npm); fi
        ;;
    # podman builds and runs the image here (Docker's engine cannot run on these machines);
    # debootstrap makes the base image, since no container registry is reachable.
    --container) packages+=(podman runc debootstrap) ;;
    # The fuzz preset: clang with libFuzzer and its sanitizer runtimes, llvm-symbolizer for the
    # stack traces of findings.
    --fuzz) packages+=(clang libfuzzer-14-dev libclang-rt-14-dev llvm) ;;
    "") ;;
    *) echo "usage: $0 [--build|--container|--fuzz]" >&2; exit 2 ;;
esac
if [ "${1:-}" != --build ] && node_older_than 20; then packages+=(nodejs npm); fi
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
