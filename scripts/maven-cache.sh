# Sourced by the *-fetch.sh scripts: a cache directory of jars fetched from Maven Central once.
#   cache_open <name> <cache root> <version>  sets $dir and $work; prints $dir and exits 0 when
#                                             the cache is complete (no network then)
#   maven_copy <pom> <output dir>             copies the pom's runtime dependencies there
#   cache_close                               marks $work/out complete, moves it to $dir, prints it
# Test files run in parallel and may all ask at once: one downloads, the others wait (flock).

cache_open() {
  cache_name=$1
  dir="$2/$3"
  cache_version=$3
  if [ -f "$dir/.complete" ]; then
    echo "$dir"
    exit 0
  fi
  for tool in java mvn; do
    if ! command -v "$tool" >/dev/null 2>&1; then
      echo "$cache_name-fetch: $tool is required (Debian: apt-get install openjdk-17-jre-headless maven)" >&2
      exit 1
    fi
  done
  mkdir -p "$2"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$2/.lock-$3"
    flock 9
    if [ -f "$dir/.complete" ]; then
      echo "$dir"
      exit 0
    fi
  fi
  echo "$cache_name-fetch: downloading $cache_name $3 jars from Maven Central into $dir (once)" >&2
  work="$(mktemp -d "$2/.fetch-$3.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/out"
}

maven_copy() {
  if ! mvn -q -B -f "$1" dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$2" >"$work/mvn.log" 2>&1; then
    echo "$cache_name-fetch: maven failed for $cache_name $cache_version:" >&2
    tail -n 30 "$work/mvn.log" >&2
    exit 1
  fi
}

cache_close() {
  touch "$work/out/.complete"
  rm -rf "$dir"
  mv "$work/out" "$dir"
  echo "$dir"
}
