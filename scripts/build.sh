#!/usr/bin/env bash
# Configures and builds one preset: native-debug | native-release | asan | wasm-release.
# Usage: scripts/build.sh PRESET [extra cmake --build args]
set -euo pipefail
cd "$(dirname "$0")/.."
preset=${1:?usage: scripts/build.sh PRESET}
shift
jobs=${GRADVY_JOBS:-$(nproc)}
if [[ $preset == wasm-* ]]; then
  # emcmake's own node flags are rejected by Node 20; the preset sets the emulator.
  emcmake cmake --preset "$preset" >/dev/null
else
  cmake --preset "$preset" >/dev/null
fi
cmake --build --preset "$preset" -j "$jobs" "$@"
