#!/bin/sh
# Fetches the official Apache Kafka broker and tools jars (org.apache.kafka:kafka_2.13 and
# kafka-tools with their runtime dependencies) from Maven Central into a cache directory, so tests,
# CI and benchmarks can run a real KRaft broker on Java 17 without Docker.
# Usage: scripts/kafka-fetch.sh <version>   → prints the directory holding the jars (libs/*.jar).
# Cache: $VIGIL_KAFKA_CACHE or ~/.cache/vigil/kafka/<version>. Idempotent: a complete cache is
# marked by a `.complete` file and reused without touching the network.
set -eu

version="${1:?usage: kafka-fetch.sh <kafka version, e.g. 3.9.1>}"
. "$(dirname "$0")/maven-cache.sh"
cache_open kafka "${VIGIL_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil/kafka}" "$version"

# The broker logs through SLF4J 1.7; 3.x brings its reload4j binding, 4.x only log4j2 itself,
# so add the log4j2 binding the 4.x distribution ships (for the broker's own log file).
binding=""
case "$version" in
  3.*) ;;
  *) binding="<dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.24.3</version></dependency>" ;;
esac

cat > "$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.vigil</groupId>
  <artifactId>kafka-test-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$version</version></dependency>
    $binding
  </dependencies>
</project>
POM

mkdir -p "$work/out/libs"
maven_copy "$work/pom.xml" "$work/out/libs"
cache_close
