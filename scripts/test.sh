#!/usr/bin/env bash
# Runs every test: native (release), the same core suite under ASan+UBSan, the
# wasm module under Node, and the JS/browser suites. Installs what it needs first.
# Exit code is non-zero if anything failed; a summary line closes the run.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

bash scripts/install-deps.sh

# A throwaway PostgreSQL on 127.0.0.1 so every storage test runs on both backends.
if [[ -x scripts/pg-test-cluster.sh ]]; then
  GRADVY_TEST_PG=$(bash scripts/pg-test-cluster.sh start)
  export GRADVY_TEST_PG
  trap 'bash "$root/scripts/pg-test-cluster.sh" stop >/dev/null 2>&1 || true' EXIT
fi

failed=()
stage() {  # stage NAME COMMAND...: runs one stage, records failure, keeps going
  local name=$1
  shift
  echo "=== $name"
  if "$@"; then echo "=== $name: ok"; else echo "=== $name: FAILED"; failed+=("$name"); fi
}

stage "native build (release)" bash scripts/build.sh native-release
stage "native tests (release)" ctest --preset native-release -j 2 --timeout 600
stage "asan+ubsan build" bash scripts/build.sh asan --target core_tests
stage "asan+ubsan core tests" build/asan/core_tests --gtest_brief=1
stage "wasm build" bash scripts/build.sh wasm-release
stage "wasm tests (Node)" ctest --preset wasm-release --timeout 600
stage "wasm size (sections, gzip; prints, never fails on size)" node tests/bench/wasm_size.mjs build/wasm-release/gradvy_core.wasm
if [[ -d tests/js ]]; then
  stage "js tests (Node)" npm test --silent
  stage "browser tests (Chromium)" npm run test:browser --silent
fi
if [[ -d tests/package ]]; then
  stage "package in a fresh Next.js app (npm pack, next build, Chromium)" npm run test:package --silent
fi
if [[ -f demo/package.json ]]; then
  stage "demo build (npm pack + next build)" env GRADVY_DEMO_DIST_DIR=.next-e2e bash scripts/demo-build.sh
  stage "demo end-to-end (Chromium)" env GRADVY_DEMO_DIST_DIR=.next-e2e npm run test:e2e --silent
fi

if ((${#failed[@]})); then
  echo "FAILED stages: ${failed[*]}"
  exit 1
fi
echo "all test stages passed"
