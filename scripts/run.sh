#!/usr/bin/env bash
# The main job: installs what it needs, builds, starts the sync server on its
# embedded SQLite default with the demo catalog, builds and starts the Next.js
# demo page against it, prints the URL.
# Ctrl-C stops everything cleanly. Ports: GRADVY_PORT (8787), DEMO_PORT (3000).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
port=${GRADVY_PORT:-8787}
demo_port=${DEMO_PORT:-3000}
state_dir=$root/.gradvy   # runtime state of the local install (gitignored)

bash scripts/install-deps.sh
bash scripts/build.sh native-release --target gradvy-sync
bash scripts/build.sh wasm-release --target gradvy_wasm
sync_bin=$root/build/native-release/server-stub/gradvy-sync
echo "wasm module: $root/build/wasm-release/gradvy_core.{mjs,wasm}"

mkdir -p "$state_dir"
chmod 700 "$state_dir"
if [[ ! -s $state_dir/secret ]]; then
  umask 077
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$state_dir/secret"
fi
catalog=$root/demo/catalog.json
[[ -f $catalog ]] || catalog=$root/tests/server/fixtures/catalog.json

pids=()
groups=()
stop_all() {
  trap - INT TERM EXIT
  for pgid in "${groups[@]}"; do kill -TERM -- "-$pgid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  echo "stopped"
}
trap stop_all INT TERM EXIT

if ! "$sync_bin" --help | grep -q '^  serve'; then
  echo "gradvy-sync has no 'serve' command in this build yet; built: $sync_bin" >&2
  exit 0
fi

"$sync_bin" serve --listen "127.0.0.1:$port" --db "sqlite:$state_dir/gradvy.db" \
  --catalog "$catalog" --secret-file "$state_dir/secret" 2>>"$state_dir/server.log" &
pids+=($!)
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.1
done
curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { echo "gradvy-sync did not start; see $state_dir/server.log" >&2; exit 1; }
echo "gradvy-sync: http://127.0.0.1:$port  (SQLite: $state_dir/gradvy.db, log: $state_dir/server.log)"

if [[ -f demo/package.json ]]; then
  echo "building the demo (npm pack + next build; log: $state_dir/demo-build.log)..."
  bash scripts/demo-build.sh >"$state_dir/demo-build.log" 2>&1 || { echo "demo build failed; see $state_dir/demo-build.log" >&2; exit 1; }
  (cd demo && NEXT_TELEMETRY_DISABLED=1 GRADVY_SYNC_URL="http://127.0.0.1:$port" \
     GRADVY_SECRET_FILE="$state_dir/secret" \
     exec setsid node node_modules/next/dist/bin/next start -H 127.0.0.1 -p "$demo_port") &
  pids+=($!)
  groups+=($!)  # next start forks a next-server child: stop the whole process group
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "http://127.0.0.1:$demo_port/" 2>/dev/null && break
    sleep 0.2
  done
  echo "demo: http://127.0.0.1:$demo_port"
fi
echo "Ctrl-C stops."
wait -n "${pids[@]}"
