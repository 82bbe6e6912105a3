#!/bin/sh
# Installs the named Debian packages (as root, with apt-get), or says which to install.
#   sh scripts/apt-install.sh <who is asking> package...
set -eu
who=$1
shift
[ "$#" -gt 0 ] || exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "$who: please install: $* (Debian/Ubuntu packages)" >&2
  exit 1
fi
echo "$who: installing $*" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "$@" >/dev/null
