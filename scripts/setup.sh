#!/usr/bin/env bash
# Installs what a fresh machine is missing, and nothing when it is all there:
# npm dependencies, redis-server from Debian packages unless REDIS_URL points elsewhere, Debian's
# chromium for the portal's browser tests (Playwright drives it; it never downloads a browser), and
# the shell-script linter shellcheck (the infra tests run it on every shell script).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: installing npm dependencies"
  # npm install, not npm ci: this npm records only the installed platform's optional packages in the
  # lock file, and npm ci then refuses the lock as out of sync. install keeps the locked versions.
  npm install --no-audit --no-fund
fi

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
apt_updated=""
apt_install() {
  export DEBIAN_FRONTEND=noninteractive
  if [ -z "$apt_updated" ]; then
    $SUDO apt-get update -qq
    apt_updated=1
  fi
  $SUDO apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if [ -z "${REDIS_URL:-}" ] && ! command -v redis-server >/dev/null 2>&1; then
  echo "setup: redis-server not found; installing it from Debian packages"
  apt_install redis-server
  # The package starts a system-wide Redis on 6379; the platform runs its own on chosen ports.
  ($SUDO service redis-server stop || true) >/dev/null 2>&1
fi

if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "setup: chromium not found; installing it from Debian packages (for the portal's browser tests)"
  apt_install chromium
fi

if ! command -v shellcheck >/dev/null 2>&1; then
  echo "setup: shellcheck not found; installing it from Debian packages"
  apt_install shellcheck
fi
