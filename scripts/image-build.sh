#!/bin/sh
# Builds the image from the Dockerfile as it is, with podman, where neither a Docker engine nor
# the node base image's registry is reachable:
# - the base image is made locally (scripts/image-base.sh) and never pulled (--pull=never);
# - runc with explicit ulimits (crun and the default rlimits fail on hosts with hybrid cgroups);
# - npm inside the build trusts this machine's CA bundle (registries reached through a
#   TLS-inspecting proxy): the bundle and an npmrc naming it are mounted, for the RUN steps
#   only, over the image's /usr/local/etc (npm's global config directory, empty in the base),
#   so neither ends up in a layer.
#
#   sh scripts/image-build.sh [tag]     # default localhost/vigil:dev; prints the tag
set -eu

cd "$(dirname "$0")/.."
TAG=${1:-localhost/vigil:dev}
CA_BUNDLE=${VIGIL_CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}

sh scripts/image-base.sh >/dev/null

# A fixed path, so that podman's layer cache (which keys RUN steps on their mounts) is reused.
etc="${XDG_CACHE_HOME:-$HOME/.cache}/vigil/image/build-etc"
rm -rf "$etc" && mkdir -p "$etc"
if [ -s "$CA_BUNDLE" ]; then
  cp "$CA_BUNDLE" "$etc/ca-certificates.crt"
  printf 'cafile=/usr/local/etc/ca-certificates.crt\n' >"$etc/npmrc"
else
  : >"$etc/npmrc"
fi
chmod -R a+rX "$etc"

podman build \
  --runtime runc --ulimit nofile=20000:20000 --ulimit nproc=4096:4096 \
  --pull=never \
  --volume "$etc:/usr/local/etc:ro" \
  --build-arg VIGIL_REVISION="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)" \
  --build-arg VIGIL_VERSION="$(node -p "require('./package.json').version")" \
  --tag "$TAG" . >&2
echo "$TAG"
