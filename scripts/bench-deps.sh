#!/bin/sh
# What `npm run bench` needs beyond the test suite's dependencies (scripts/test-deps.sh): the
# Debian exporters the footprint suite measures Vigil against. Installing the packages does not
# start their services (the bench starts its own on free loopback ports).
set -eu
here=$(dirname "$0")
sh "$here/test-deps.sh"

need_apt=""
for exporter in prometheus-node-exporter prometheus-postgres-exporter prometheus-redis-exporter; do
  command -v "$exporter" >/dev/null 2>&1 || need_apt="$need_apt $exporter"
done
if [ -n "$need_apt" ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "bench-deps: please install:$need_apt (Debian/Ubuntu packages)" >&2
    exit 1
  fi
  echo "bench-deps: installing$need_apt" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $need_apt >/dev/null
fi
