#!/bin/sh
# Fetches the official Apache Kafka broker and tools jars (org.apache.kafka:kafka_2.13 and
# kafka-tools with their runtime dependencies) from Maven Central into a cache directory, so tests,
# CI and benchmarks can run a real KRaft broker on Java 17 without Docker.
# Usage: scripts/kafka-fetch.sh <version>   → prints the directory holding the jars (libs/*.jar).
# Cache: $VIGIL_KAFKA_CACHE or ~/.cache/vigil/kafka/<version>. Idempotent: a complete cache is
# marked by a `.complete` file and reused without touching the network.
set -eu

version="${1:?usage: kafka-fetch.sh <kafka version, e.g. 3.9.1>}"
cache_root="${VIGIL_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vigil/kafka}"
dir="$cache_root/$version"

if [ -f "$dir/.complete" ]; then
  echo "$dir"
  exit 0
fi

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "kafka-fetch: $tool is required (Debian: apt-get install openjdk-17-jre-headless maven)" >&2
    exit 1
  fi
done

mkdir -p "$cache_root"
# Test files run in parallel and may all ask at once: one download, the others wait for it.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$cache_root/.lock-$version"
  flock 9
  if [ -f "$dir/.complete" ]; then
    echo "$dir"
    exit 0
  fi
fi
echo "kafka-fetch: downloading Apache Kafka $version jars from Maven Central into $dir (once)" >&2
work="$(mktemp -d "$cache_root/.fetch-$version.XXXXXX")"
trap 'rm -rf "$work"' EXIT

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
if ! mvn -q -B -f "$work/pom.xml" dependency:copy-dependencies \
      -DincludeScope=runtime -DoutputDirectory="$work/out/libs" >"$work/mvn.log" 2>&1; then
  echo "kafka-fetch: maven failed for Kafka $version:" >&2
  tail -n 30 "$work/mvn.log" >&2
  exit 1
fi
touch "$work/out/.complete"
rm -rf "$dir"
mv "$work/out" "$dir"
echo "$dir"
