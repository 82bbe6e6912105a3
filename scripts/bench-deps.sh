#!/bin/sh
# What `npm run bench` needs beyond the test suite's dependencies (scripts/test-deps.sh): the
# Debian exporters the footprint and http-probe suites measure Vigil against. Installing the
# packages does not start their services (the bench starts its own on free loopback ports).
set -eu
here=$(dirname "$0")
sh "$here/test-deps.sh"

need_apt=""
for exporter in prometheus-node-exporter prometheus-postgres-exporter prometheus-redis-exporter prometheus-blackbox-exporter; do
  command -v "$exporter" >/dev/null 2>&1 || need_apt="$need_apt $exporter"
done
# shellcheck disable=SC2086
sh "$(dirname "$0")/apt-install.sh" bench-deps $need_apt
