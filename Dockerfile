# syntax=docker/dockerfile:1
# Vigil image: Node 24 runs the TypeScript sources directly (type stripping), so there is no
# build step, only production dependencies.
#
#   docker build \
#     --build-arg VIGIL_REVISION=$(git rev-parse --short=12 HEAD) \
#     --build-arg VIGIL_VERSION=$(node -p "require('./package.json').version") \
#     -t vigil:dev .
#
# Without Docker, scripts/image-build.sh builds this file unchanged with podman (the test suite
# does, then runs the image as the DaemonSet and the sidecar do). Kept deliberately plain (no
# cache mounts, no distroless tricks) so that it is easy to check by reading.

# Same Node version as the `node` package pinned in package.json.
ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# --omit=dev: no TypeScript, tap, autocannon, nor the `node` package that pins the runtime for
# npm scripts (the base image is that runtime). --ignore-scripts: no dependency needs one.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

FROM node:${NODE_VERSION}-bookworm-slim
ARG NODE_VERSION
ARG VIGIL_REVISION=unknown
ARG VIGIL_VERSION=dev

LABEL org.opencontainers.image.title="vigil" \
      org.opencontainers.image.description="Lightweight observability agent: node and dependency health, Prometheus metrics, health endpoints, JSON logs" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.version="${VIGIL_VERSION}" \
      org.opencontainers.image.revision="${VIGIL_REVISION}" \
      org.opencontainers.image.base.name="docker.io/library/node:${NODE_VERSION}-bookworm-slim"

# uid/gid 65532: the usual "nonroot" id, distinct from the base image's `node` user (1000).
RUN groupadd --gid 65532 vigil \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin vigil

WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY config ./config
COPY src ./src
COPY bin ./bin
# Warms Node's compile cache (node_modules/.cache, read-only at run time): the agent then starts
# without loading the TypeScript stripper, −20 MiB RSS. Same flags as the entrypoint (bin/vigil).
# `warm-cache` imports every module, the ones probes and the config process load later too.
RUN bin/vigil warm-cache >/dev/null

# src/version.ts reads the revision from here (there is no .git in the image).
ENV VIGIL_REVISION=${VIGIL_REVISION}

# Numeric, so Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 65532:65532
EXPOSE 9477
# No HEALTHCHECK: Kubernetes probes /health and /ready.
# bin/vigil: V8 memory limits and the compile cache (see the script).
ENTRYPOINT ["/app/bin/vigil"]
