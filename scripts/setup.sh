#!/usr/bin/env bash
# Installs what a fresh machine is missing, and nothing when it is all there: a supported Node
# (22 or newer; scripts/with-node.sh fetches Node 24 from the npm registry when the machine's is
# older, and the README's commands run under it), npm dependencies, redis-server from Debian
# packages unless REDIS_URL points elsewhere, Debian's chromium-headless-shell for the portal's
# browser tests and chromium for its benchmark (Playwright drives them; it never downloads a
# browser), and the shell-script linter shellcheck (the infra tests run it on every shell script).
set -euo pipefail
cd "$(dirname "$0")/.."

# Two setups at once (a demo and a test run) must not both run npm install in one clone, nor apt
# on one machine: each takes its turn under a lock (flock, released when this script exits) and
# then finds the work done. Apt also waits up to 10 minutes for anyone else's dpkg lock.
LOCK_WAIT_SECONDS=900
with_lock() {
  local file="$1" what="$2"
  shift 2
  # Opened for reading, made world-readable: the same lock serves root's and users' setups.
  [ -e "$file" ] || (umask 000 && : >"$file")
  exec {lock_fd}<"$file"
  if ! flock -n "$lock_fd"; then
    echo "setup: waiting for another setup to finish $what ($file)"
    flock -w "$LOCK_WAIT_SECONDS" "$lock_fd" || { echo "setup: gave up waiting for $file after $LOCK_WAIT_SECONDS s" >&2; exit 1; }
  fi
  "$@"
  exec {lock_fd}>&-
}

npm_install_if_stale() {
  # Node first, so npm installs for (and runs its scripts under) the Node that will run everything.
  echo "setup: node $(bash scripts/with-node.sh node --version)"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    echo "setup: installing npm dependencies"
    # npm install, not npm ci: this npm records only the installed platform's optional packages in the
    # lock file, and npm ci then refuses the lock as out of sync. install keeps the locked versions.
    bash scripts/with-node.sh npm install --no-audit --no-fund
  fi
}
clone_lock="${TMPDIR:-/tmp}/kineo-setup-npm-$(pwd -P | cksum | cut -d' ' -f1).lock"
with_lock "$clone_lock" "npm install in this clone" npm_install_if_stale

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
apt_updated=""
APT=(apt-get -o DPkg::Lock::Timeout=600)
apt_install_now() {
  export DEBIAN_FRONTEND=noninteractive
  # Another setup may have installed it while this one waited for the lock.
  if command -v "$1" >/dev/null 2>&1; then return 0; fi
  shift
  if [ -z "$apt_updated" ]; then
    $SUDO "${APT[@]}" update -qq
    apt_updated=1
  fi
  $SUDO "${APT[@]}" install -y -qq --no-install-recommends "$@" >/dev/null
}
# apt_install <command it provides> <package...>
apt_install() {
  with_lock "${TMPDIR:-/tmp}/kineo-setup-apt.lock" "installing Debian packages" apt_install_now "$@"
}

if [ -z "${REDIS_URL:-}" ] && ! command -v redis-server >/dev/null 2>&1; then
  echo "setup: redis-server not found; installing it from Debian packages"
  apt_install redis-server redis-server
  # The package starts a system-wide Redis on 6379; the platform runs its own on chosen ports.
  ($SUDO service redis-server stop || true) >/dev/null 2>&1
fi

if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  echo "setup: chromium not found; installing it from Debian packages (for the portal's benchmark)"
  apt_install chromium chromium
fi

# The browser tests run Debian's Chromium as its headless shell (the same source package and
# version, built without the browser's windowing): a quarter less time than the full browser in
# headless mode on the dashboards' tests (docs/development.md).
if [ -z "${CHROMIUM_PATH:-}" ] && ! command -v chromium-headless-shell >/dev/null 2>&1; then
  echo "setup: chromium-headless-shell not found; installing it from Debian packages (for the portal's browser tests)"
  apt_install chromium-headless-shell chromium-headless-shell
fi

if ! command -v shellcheck >/dev/null 2>&1; then
  echo "setup: shellcheck not found; installing it from Debian packages"
  apt_install shellcheck shellcheck
fi
