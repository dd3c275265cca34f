#!/usr/bin/env bash
# Runs a command under a Node the project supports (package.json's engines: 22 or newer). The
# `node` on the PATH is used when it is new enough. Otherwise Node 24 comes from the npm registry
# (the node-<os>-<arch> package, which holds the official binary) into .cache/node-24/, once, and
# its bin folder goes first on the PATH, so everything the command starts (npm, turbo's tasks,
# jest's workers) runs on it. The npm registry is the one source a fresh machine here reaches.
#
#   bash scripts/with-node.sh <command> [args...]
#   bash scripts/with-node.sh --node <version> <command> [args...]
#
# --node asks for one Node in particular, a major (22) or an exact version (22.20.0, what the
# gateway image runs), to measure or test on it: the `node` on the PATH is used only if it is
# that version, otherwise it is fetched the same way into .cache/node-<version>/.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
wanted=""
if [ "${1:-}" = "--node" ]; then
  wanted="${2:-}"
  if ! [[ "$wanted" =~ ^[0-9]+(\.[0-9]+\.[0-9]+)?$ ]]; then
    echo "with-node: --node wants a major (22) or an exact version (22.20.0), got \"$wanted\"" >&2
    exit 2
  fi
  shift 2
fi
version="${wanted:-24}"
cache="$root/.cache/node-$version"

current_major() {
  node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0
}

# Whether the `node` on the PATH is the one --node asked for (its major, or exactly its version).
current_is_wanted() {
  local current
  current="$(node -p 'process.versions.node' 2>/dev/null || echo none)"
  [ "$current" = "$wanted" ] || [ "${current%%.*}" = "$wanted" ]
}

fetch_node() {
  local os arch tmp tarball
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) echo "with-node: no Node package for $(uname -s); install Node $version yourself" >&2; exit 1 ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "with-node: no Node package for $(uname -m); install Node $version yourself" >&2; exit 1 ;;
  esac
  echo "with-node: node $(node --version 2>/dev/null || echo 'missing') is not the Node wanted; fetching node-$os-$arch@$version from the npm registry into .cache/" >&2
  tmp="$(mktemp -d)"
  # npm pack only downloads (no install scripts run): the tarball's package/bin/node is the binary.
  tarball="$(cd "$tmp" && npm pack "node-$os-$arch@$version" --silent | tail -n 1)"
  mkdir -p "$tmp/unpacked"
  tar -xzf "$tmp/$tarball" -C "$tmp/unpacked" --strip-components=1
  "$tmp/unpacked/bin/node" --version >/dev/null
  mkdir -p "$(dirname "$cache")"
  rm -rf "$cache"
  # Moved into place whole, so an interrupted fetch never leaves a half-unpacked cache.
  mv "$tmp/unpacked" "$cache"
  rm -rf "$tmp"
}

if [ -n "$wanted" ]; then
  if ! current_is_wanted; then
    if [ ! -x "$cache/bin/node" ]; then fetch_node; fi
    export PATH="$cache/bin:$PATH"
  fi
elif [ "$(current_major)" -lt 22 ]; then
  if [ ! -x "$cache/bin/node" ]; then fetch_node; fi
  export PATH="$cache/bin:$PATH"
fi
exec "$@"
