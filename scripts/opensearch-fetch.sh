#!/bin/sh
# Fetches OpenSearch's server jars from Maven Central and lays them out as an OpenSearch home
# (lib/, modules/transport-netty4/ with its plugin descriptor, plugins/), so the log ingestion
# test can run a real single-node OpenSearch on Java 17 without Docker or a tarball download.
#   org.opensearch:opensearch (server + runtime deps), opensearch-plugin-classloader,
#   log4j-core (the distribution ships it; the server pom does not pull it),
#   org.opensearch.plugin:transport-netty4-client (+ netty) as the HTTP/transport module.
# Usage: scripts/opensearch-fetch.sh [version]  → prints the home directory.
# Cache: $VIGIL_OPENSEARCH_CACHE or ~/.cache/vigil/opensearch/<version>; a complete cache is
# marked by `.complete` and reused without touching the network.
set -eu

version="${1:-2.19.6}"
# log4j-core at the version of the log4j-api the server pulls (they must match).
log4j_version="2.25.4"
. "$(dirname "$0")/maven-cache.sh"
cache_open opensearch "${VIGIL_OPENSEARCH_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil/opensearch}" "$version"

pom() { # <file> <dependencies xml>
  cat > "$1" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.vigil</groupId>
  <artifactId>opensearch-test-node</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>$2</dependencies>
</project>
POM
}


pom "$work/server.xml" "
    <dependency><groupId>org.opensearch</groupId><artifactId>opensearch</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.opensearch</groupId><artifactId>opensearch-plugin-classloader</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>$log4j_version</version></dependency>"
pom "$work/netty.xml" "
    <dependency><groupId>org.opensearch.plugin</groupId><artifactId>transport-netty4-client</artifactId><version>$version</version></dependency>"

mkdir -p "$work/out/bin" "$work/out/lib" "$work/out/modules/transport-netty4" "$work/out/plugins"
maven_copy "$work/server.xml" "$work/out/lib"
maven_copy "$work/netty.xml" "$work/out/modules/transport-netty4"
# A module is a plugin the node loads from modules/: the descriptor the distribution ships.
cat > "$work/out/modules/transport-netty4/plugin-descriptor.properties" <<PROPS
description=Netty 4 based transport implementation
version=$version
name=transport-netty4
classname=org.opensearch.transport.Netty4Plugin
java.version=11
opensearch.version=$version
extended.plugins=
has.native.controller=false
PROPS
# The module's grants under the node's security manager, as the distribution ships them.
cat > "$work/out/modules/transport-netty4/plugin-security.policy" <<'POLICY'
grant codeBase "${codebase.netty-common}" {
  permission java.io.FilePermission "/proc/sys/net/core/somaxconn", "read";
  permission java.net.SocketPermission "*", "accept,connect";
  permission java.lang.RuntimePermission "*", "setContextClassLoader";
};

grant codeBase "${codebase.netty-transport}" {
  permission java.util.PropertyPermission "sun.nio.ch.bugLevel", "write";
};
POLICY
cache_close
