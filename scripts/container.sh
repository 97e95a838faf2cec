#!/usr/bin/env bash
# Builds and tests the container image with Debian's podman, on machines where Docker's engine
# cannot run and no container registry can be reached.
#   scripts/container.sh base     make the debian:bookworm-slim base image (debootstrap; cached)
#   scripts/container.sh image    build the Portcullis image (tag portcullis:local, and :VERSION)
#   scripts/container.sh test     build if needed, then run tests/deploy/container_test.sh
#   scripts/container.sh podman … run podman with this machine's settings (debugging)
# Everything is cached under .local/container/ and in podman's own store, so a second run reuses
# the base image and the build layers.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cache="$root/.local/container"
base_tag=docker.io/library/debian:bookworm-slim
image=${PORTCULLIS_IMAGE:-localhost/portcullis:local}

log() { printf '[container] %s\n' "$*" >&2; }

# podman as it runs on these machines: runc (crun's cgroup handling fails here), cgroupfs (no
# systemd), and no default ulimits (the engine's defaults exceed what the sandbox allows; callers
# pass explicit --ulimit values instead).
pm() {
    mkdir -p "$cache"
    local conf="$cache/containers.conf"
    if [ ! -f "$conf" ]; then
        printf '[containers]\ndefault_ulimits = []\n' >"$conf"
    fi
    # Without systemd, podman cannot set up the timers of an image's HEALTHCHECK and says so on
    # every run, stop and rm; those lines are dropped (run the check with `podman healthcheck run`).
    CONTAINERS_CONF="$conf" podman --runtime runc --cgroup-manager cgroupfs "$@" \
        2> >(grep -v 'unable to get systemd connection' >&2)
}

# The Debian mirror the host's apt uses (the only one reachable here), overridable.
debian_mirror() {
    if [ -n "${PORTCULLIS_DEBIAN_MIRROR:-}" ]; then
        echo "$PORTCULLIS_DEBIAN_MIRROR"
        return
    fi
    local uri
    uri=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ {print $2}' |
        grep -E '/debian/?$' | head -n1 || true)
    if [ -z "$uri" ]; then
        uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
            awk '$1 == "deb" {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; break}}' |
            grep -E '/debian/?$' | head -n1 || true)
    fi
    echo "${uri:-http://deb.debian.org/debian}"
}

# A stand-in for the registry's debian:bookworm-slim: debootstrap's minbase with slim's trimming
# (no documentation, manuals or translations; apt lists removed) and the same apt sources.
make_base() {
    if pm image exists "$base_tag"; then
        return
    fi
    local tarball="$cache/debian-bookworm-slim.tar"
    if [ ! -f "$tarball" ]; then
        local mirror rootfs start
        mirror=$(debian_mirror)
        rootfs="$cache/rootfs"
        rm -rf "$rootfs"
        mkdir -p "$rootfs"
        start=$SECONDS
        log "debootstrap bookworm from $mirror (once; cached in $tarball)"
        debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 || {
            tail -n 30 "$cache/debootstrap.log" >&2
            exit 1
        }
        cat >"$rootfs/etc/dpkg/dpkg.cfg.d/slim" <<'CFG'
# As in debian:*-slim: no documentation, manual pages or translations in the image.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
CFG
        printf 'APT::Install-Recommends "false";\n' >"$rootfs/etc/apt/apt.conf.d/90slim"
        local security=${mirror%/debian}/debian-security
        rm -f "$rootfs/etc/apt/sources.list"
        cat >"$rootfs/etc/apt/sources.list.d/debian.sources" <<SRC
Types: deb
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
        find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
        rm -rf "$rootfs"/usr/share/{man,info,groff,lintian,linda}/* "$rootfs"/usr/share/locale/* \
            "$rootfs"/var/lib/apt/lists/* "$rootfs"/var/cache/apt/*.bin \
            "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/log/*.log "$rootfs"/debootstrap
        tar --numeric-owner -C "$rootfs" -cf "$tarball.tmp" .
        mv "$tarball.tmp" "$tarball"
        rm -rf "$rootfs"
        log "debootstrap done in $((SECONDS - start)) s"
    fi
    pm import --change 'CMD ["bash"]' \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        "$tarball" "$base_tag" >/dev/null
    log "base image $base_tag imported"
}

project_version() {
    sed -n 's/^project(portcullis VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt"
}

build_image() {
    make_base
    local version sha build_time start
    version=$(project_version)
    sha=$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)
    # The commit's time, not the clock: the same commit gives the same build arguments, so a
    # second build reuses every layer. PORTCULLIS_BUILD_TIME stamps another value.
    build_time=${PORTCULLIS_BUILD_TIME:-$(TZ=UTC git -C "$root" log -1 \
        --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%S.000Z 2>/dev/null || true)}
    start=$SECONDS
    log "building $image (version $version, git $sha)"
    # The host's compiler cache, when there is one: the image compiles the same sources with the
    # same Debian compiler, so a host that has built the release preset makes this build quick.
    # PORTCULLIS_IMAGE_CCACHE=0 measures a build from cold.
    local ccache_args=()
    local host_ccache=${CCACHE_DIR:-$HOME/.cache/ccache}
    if [ "${PORTCULLIS_IMAGE_CCACHE:-1}" != 0 ] && [ -d "$host_ccache" ]; then
        ccache_args=(-v "$host_ccache:/ccache-host:z" --build-arg CCACHE_DIR=/ccache-host)
    fi
    # The build stage's npm (it fetches swagger-ui-dist) trusts what the host's npm trusts: its CA
    # bundle is lent like the ccache, read-only.
    local ca_args=()
    local host_cafile
    host_cafile=$(npm config get cafile 2>/dev/null || true)
    if [ -f "$host_cafile" ]; then
        ca_args=(-v "$host_cafile:/host-npm-ca.crt:ro,z" --build-arg NPM_CAFILE=/host-npm-ca.crt)
    fi
    # Docker format keeps HEALTHCHECK (the OCI format has no field for it).
    pm build --network host --format docker --pull=never "${ccache_args[@]}" "${ca_args[@]}" \
        --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
        --build-arg "VERSION=$version" --build-arg "GIT_SHA=$sha" \
        --build-arg "BUILD_TIME=$build_time" \
        -t "$image" -t "localhost/portcullis:$version" -f "$root/Dockerfile" "$root"
    log "image built in $((SECONDS - start)) s; size $(pm image inspect --format '{{.Size}}' "$image") bytes"
}

case "${1:-}" in
    base) make_base ;;
    image) build_image ;;
    test)
        build_image
        export PORTCULLIS_IMAGE="$image"
        exec "$root/tests/deploy/container_test.sh"
        ;;
    podman)
        shift
        pm "$@"
        ;;
    *)
        echo "usage: $0 base|image|test|podman ARGS..." >&2
        exit 2
        ;;
esac
