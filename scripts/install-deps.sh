#!/usr/bin/env bash
# Installs every system and npm dependency the build, the tests and the main job
# need on a fresh Debian 12 machine (run as root). Safe to run again: it only
# calls apt-get when a package is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential curl cmake ninja-build pkg-config git ca-certificates
  emscripten nodejs
  nlohmann-json3-dev libeigen3-dev libgtest-dev libgmock-dev libbenchmark-dev
  libcpp-httplib-dev libsqlite3-dev sqlite3 libpqxx-dev libssl-dev libzstd-dev
  postgresql chromium
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# npm dependencies of the package (root) and of the demo, exactly as locked.
bash scripts/npm-ci-if-stale.sh . demo
