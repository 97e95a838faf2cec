# Portcullis container image (contract 16.1, decisions B.16 and B.17): a multi-stage build on
# Debian 12. The runtime stage holds the binary, its runtime libraries, CA certificates and a
# non-root user; the server runs as PID 1 (no shell in between), so `docker stop` / Kubernetes'
# SIGTERM reaches it and the graceful shutdown runs.
#
#   docker build -t portcullis --build-arg GIT_SHA=$(git rev-parse --short HEAD) \
#       --build-arg BUILD_TIME=$(date -u +%Y-%m-%dT%H:%M:%S.000Z) .
# (`make image` does this with podman; see scripts/container.sh.)

FROM debian:bookworm-slim AS build
# One package list for the host and the image: scripts/install-deps.sh --build.
COPY scripts/install-deps.sh /src/scripts/install-deps.sh
RUN /src/scripts/install-deps.sh --build
WORKDIR /src
COPY CMakeLists.txt CMakePresets.json ./
COPY cmake cmake
COPY src src
# Shown by `portcullis version` and GET /version. Empty VERSION = the project's version; empty
# BUILD_TIME = the time of this build step.
ARG VERSION=
ARG GIT_SHA=unknown
ARG BUILD_TIME=
# Only the binary: tests and benchmarks are not configured. The ccache mount speeds up local
# rebuilds (BuildKit, buildah); scripts/container.sh instead lends the host's ccache (CCACHE_DIR
# on a bind mount), which `make test` has just filled. The debug info is stripped (about two
# thirds of the file); symbols stay for readable backtraces.
ARG CCACHE_DIR=/root/.cache/ccache
# The build downloads swagger-ui-dist with npm (the /docs page, embedded into the binary). Empty:
# npm's own certificate authorities; scripts/container.sh lends the host's CA bundle, the one the
# host's npm trusts (a registry reached through an intercepting proxy is otherwise refused).
ARG NPM_CAFILE=
RUN --mount=type=cache,target=/root/.cache/ccache \
    export CCACHE_DIR="${CCACHE_DIR}" ${NPM_CAFILE:+NPM_CONFIG_CAFILE="${NPM_CAFILE}"} \
    && cmake --preset release -DPORTCULLIS_BUILD_TESTS=OFF -DPORTCULLIS_BUILD_BENCH=OFF \
        -DPORTCULLIS_VERSION="${VERSION}" -DPORTCULLIS_GIT_SHA="${GIT_SHA}" \
        -DPORTCULLIS_BUILD_TIME="${BUILD_TIME}" >/dev/null \
    && cmake --build --preset release --target portcullis \
    && strip --strip-debug -o /portcullis build/release/src/portcullis

FROM debian:bookworm-slim AS runtime
# The runtime libraries of `ldd portcullis`, listed once, plus libcurl4: libcurl.so.4 is loaded
# with dlopen only when SMTP is configured, so ldd does not show it.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        ca-certificates \
        libboost-json1.81.0 libboost-url1.81.0 \
        libbrotli1 \
        libcurl4 \
        libhiredis0.14 \
        libjemalloc2 \
        libpq5 \
        libqrencode4 \
        libsodium23 \
        libssl3 \
        zlib1g \
    && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log \
    && groupadd --gid 10001 portcullis \
    && useradd --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home \
        --shell /usr/sbin/nologin portcullis
COPY --from=build /portcullis /usr/local/bin/portcullis
# The binary reads `.env` from its working directory: an empty, root-owned folder, so nothing is
# read unless an operator mounts a file there on purpose. Nothing is written anywhere (the root
# filesystem may be read-only).
WORKDIR /app
# The reference image's default; APP_ENV or NODE_ENV from the environment override it.
ENV NODE_ENV=production
USER 10001:10001
EXPOSE 3000
# Exit 0 only when GET /ready on 127.0.0.1:$PORT answers 200 (no curl in the image).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=10 \
    CMD ["portcullis", "healthcheck", "--timeout-ms", "2000"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["portcullis"]
# Migrate (under Postgres' advisory lock, safe with many replicas), then serve in the same
# process: the server is PID 1 and receives the signals itself.
CMD ["serve", "--migrate"]

ARG VERSION=
ARG GIT_SHA=unknown
ARG BUILD_TIME=
LABEL org.opencontainers.image.title="Portcullis" \
    org.opencontainers.image.description="Authentication API service (users, sessions, JWT)" \
    org.opencontainers.image.licenses="MIT" \
    org.opencontainers.image.version="${VERSION}" \
    org.opencontainers.image.revision="${GIT_SHA}" \
    org.opencontainers.image.created="${BUILD_TIME}"
