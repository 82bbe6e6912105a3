#!/bin/sh
# Installs what the test suite needs beyond npm packages, when missing, so a fresh machine
# passes `npm test`: promtool (Debian package `prometheus`) to lint /metrics like Prometheus does;
# PostgreSQL (initdb, pg_ctl, pg_basebackup) and redis-server, which the integration tests start
# on free ports when no server runs (and always for stop/replica/TLS tests); openssl for the
# test's TLS certificate. Installing the packages does not need their services to run.
# Java 17 and Maven to fetch and run the Apache Kafka brokers of the Kafka integration tests.
# The prometheus server (same package as promtool) for the live rules/dashboards test; rsyslog
# with its Elasticsearch output as the real log shipper of the OpenSearch ingestion test.
# Debian's blackbox_exporter, probed side by side with the http kind (same status code).
set -eu

need_apt=""
{ command -v promtool >/dev/null 2>&1 && command -v prometheus >/dev/null 2>&1; } || need_apt="$need_apt prometheus"
command -v rsyslogd >/dev/null 2>&1 || need_apt="$need_apt rsyslog"
ls /usr/lib/*/rsyslog/omelasticsearch.so >/dev/null 2>&1 || need_apt="$need_apt rsyslog-elasticsearch"
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt="$need_apt postgresql"
command -v redis-server >/dev/null 2>&1 || need_apt="$need_apt redis-server"
command -v openssl >/dev/null 2>&1 || need_apt="$need_apt openssl"
command -v prometheus-blackbox-exporter >/dev/null 2>&1 || need_apt="$need_apt prometheus-blackbox-exporter"
command -v java >/dev/null 2>&1 || need_apt="$need_apt openjdk-17-jre-headless"
command -v mvn >/dev/null 2>&1 || need_apt="$need_apt maven"
# The image test (test/image.integration.test.ts): rootful podman with runc, buildah, and
# debootstrap for the locally made base image (scripts/image-base.sh); kubectl for the manifests
# test's offline `kubectl kustomize` (Debian's kubernetes-client when no kubectl is installed).
command -v podman >/dev/null 2>&1 || need_apt="$need_apt podman"
command -v buildah >/dev/null 2>&1 || need_apt="$need_apt buildah"
command -v runc >/dev/null 2>&1 || need_apt="$need_apt runc"
command -v debootstrap >/dev/null 2>&1 || need_apt="$need_apt debootstrap"
command -v kubectl >/dev/null 2>&1 || need_apt="$need_apt kubernetes-client"

# shellcheck disable=SC2086
sh "$(dirname "$0")/apt-install.sh" test-deps $need_apt

# Kafka broker and tools jars from Maven Central, once per version (cached under ~/.cache/vigil/kafka).
# The pinned Node 24 (the system one may be older and cannot run .ts), also outside `npm test`.
"$(dirname "$0")/../node_modules/.bin/node" "$(dirname "$0")/kafka.ts" fetch >/dev/null
# OpenSearch server jars from Maven Central, once (cached under ~/.cache/vigil/opensearch).
sh scripts/opensearch-fetch.sh >/dev/null
