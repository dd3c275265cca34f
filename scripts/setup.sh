#!/usr/bin/env bash
# Installs what a fresh machine is missing, and nothing when it is all there:
# npm dependencies, redis-server from Debian packages unless REDIS_URL points elsewhere, and Debian's
# chromium for the portal's browser tests (Playwright drives it; it never downloads a browser).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  # npm install, not npm ci: this npm records only the installed platform's optional packages in the
  # lock file, and npm ci then refuses the lock as out of sync. install keeps the locked versions.
  npm install --no-audit --no-fund
fi

if [ -z "${REDIS_URL:-}" ] && ! command -v redis-server >/dev/null 2>&1; then
  echo "setup: redis-server not found; installing it from Debian packages"
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends redis-server >/dev/null
  # The package starts a system-wide Redis on 6379; the platform runs its own on chosen ports.
  ($SUDO service redis-server stop || true) >/dev/null 2>&1
fi

if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "setup: chromium not found; installing it from Debian packages (for the portal's browser tests)"
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
