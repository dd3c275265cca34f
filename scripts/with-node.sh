#!/usr/bin/env bash
# Runs a command under a Node the project supports (package.json's engines: 22 or newer). The
# `node` on the PATH is used when it is new enough. Otherwise Node 24 comes from the npm registry
# (the node-<os>-<arch> package, which holds the official binary) into .cache/node-24/, once, and
# its bin folder goes first on the PATH, so everything the command starts (npm, turbo's tasks,
# jest's workers) runs on it. The npm registry is the one source a fresh machine here reaches.
#
#   bash scripts/with-node.sh <command> [args...]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
major=24
cache="$root/.cache/node-$major"

current_major() {
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

fetch_node() {
  local os arch tmp tarball
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) echo "with-node: no Node package for $(uname -s); install Node $major yourself" >&2; exit 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "with-node: no Node package for $(uname -m); install Node $major yourself" >&2; exit 1 ;;
  esac
  echo "with-node: node $(node --version 2>/dev/null || echo 'missing') is older than 22; fetching node-$os-$arch@$major from the npm registry into .cache/" >&2
  tmp="$(mktemp -d)"
  # npm pack only downloads (no install scripts run): the tarball's package/bin/node is the binary.
  tarball="$(cd "$tmp" && npm pack "node-$os-$arch@$major" --silent | tail -n 1)"
  mkdir -p "$tmp/unpacked"
  tar -xzf "$tmp/$tarball" -C "$tmp/unpacked" --strip-components=1
  "$tmp/unpacked/bin/node" --version >/dev/null
  mkdir -p "$(dirname "$cache")"
  rm -rf "$cache"
  # Moved into place whole, so an interrupted fetch never leaves a half-unpacked cache.
  mv "$tmp/unpacked" "$cache"
  rm -rf "$tmp"
}

if [ "$(current_major)" -lt 22 ]; then
  if [ ! -x "$cache/bin/node" ]; then fetch_node; fi
  export PATH="$cache/bin:$PATH"
fi
exec "$@"
