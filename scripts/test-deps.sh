#!/bin/sh
# Installs what the test suite needs beyond npm packages, when missing, so a fresh machine
# passes `npm test`: promtool (Debian package `prometheus`) to lint /metrics like Prometheus does;
# Java 17 and Maven to fetch and run the Apache Kafka brokers of the Kafka integration tests.
set -eu

need_apt=""
command -v promtool >/dev/null 2>&1 || need_apt="$need_apt prometheus"
command -v java >/dev/null 2>&1 || need_apt="$need_apt openjdk-17-jre-headless"
command -v mvn >/dev/null 2>&1 || need_apt="$need_apt maven"

if [ -n "$need_apt" ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "test-deps: please install:$need_apt (Debian/Ubuntu packages)" >&2
    exit 1
  fi
  echo "test-deps: installing$need_apt" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -qq --no-install-recommends $need_apt >/dev/null
fi

# Kafka broker and tools jars from Maven Central, once per version (cached under ~/.cache/vigil/kafka).
node scripts/kafka.ts fetch >/dev/null
