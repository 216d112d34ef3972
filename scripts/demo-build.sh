#!/usr/bin/env bash
# Builds the demo (demo/, Next.js) against the package exactly as users get it:
# builds the package, packs it with `npm pack`, installs that tarball into
# demo/node_modules (not saved: demo/package.json does not list it), then runs
# `next build` into demo/${GRADVY_DEMO_DIST_DIR:-.next}.
# Needs: scripts/install-deps.sh has run (node, npm, emsdk for the wasm module).
# Idempotent; concurrent runs wait for each other.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
dist_dir=${GRADVY_DEMO_DIST_DIR:-.next}
export NEXT_TELEMETRY_DISABLED=1

mkdir -p build/pack
exec 9>build/pack/.demo-build.lock
flock 9

if [[ ! -f build/wasm-release/gradvy_core.mjs || ! -f build/wasm-release/gradvy_core.wasm ]]; then
  bash scripts/build.sh wasm-release --target gradvy_wasm
fi

# The package's and the demo's own dependencies, exactly as locked.
bash scripts/npm-ci-if-stale.sh . demo
# The package: tsc + the wasm module into dist/, then the tarball npm would publish.
npm run build --silent
tarball=$(npm pack --pack-destination build/pack --silent | tail -n 1)
[[ -f build/pack/$tarball ]] || { echo "demo-build: npm pack did not produce build/pack/$tarball" >&2; exit 1; }

cd demo
# A fresh copy of the package every time (the version does not change between builds).
rm -rf node_modules/@gradvy/personalize
npm install --no-save --no-audit --no-fund "../build/pack/$tarball"

node node_modules/next/dist/bin/next build
echo "demo build: $root/demo/$dist_dir (package: build/pack/$tarball)"
echo "start it: cd demo && GRADVY_SYNC_URL=http://127.0.0.1:8787 GRADVY_SECRET_FILE=<secret file> node node_modules/next/dist/bin/next start -H 127.0.0.1 -p 3000"
