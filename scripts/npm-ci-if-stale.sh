#!/usr/bin/env bash
# Usage: scripts/npm-ci-if-stale.sh DIR...
# Installs each DIR's npm dependencies exactly as locked. `npm ci` starts from an
# empty node_modules, so it only runs when the tree is missing or older than the
# lock file (npm writes node_modules/.package-lock.json last).
set -euo pipefail
for dir in "$@"; do
  [[ -f $dir/package-lock.json ]] || continue
  if [[ ! -f $dir/node_modules/.package-lock.json || $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done
