#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the storage tests and benchmarks.
#   pg-test-cluster.sh start   initdb (once) + start; prints the URL on stdout
#   pg-test-cluster.sh url     prints the URL of the running cluster
#   pg-test-cluster.sh stop    stops it (fast shutdown); the data dir stays
#   pg-test-cluster.sh destroy stops it and removes the data dir
# Listens on 127.0.0.1 only, trust auth (local test use only), database
# gradvy_test. Idempotent: start on a running cluster just prints the URL.
# Env: GRADVY_PG_DIR (default $TMPDIR/gradvy-pg-test), GRADVY_PG_PORT (first
# port tried, default 55432; the next free one is used if it is taken).
# Everything but the URL goes to stderr, so `URL=$(... start)` works.
set -euo pipefail

dir=${GRADVY_PG_DIR:-${TMPDIR:-/tmp}/gradvy-pg-test}
first_port=${GRADVY_PG_PORT:-55432}
database=gradvy_test

pg_bin=""
for candidate in /usr/lib/postgresql/*/bin; do
  [[ -x $candidate/initdb ]] && pg_bin=$candidate  # the glob sorts; keep the newest
done
if [[ -z $pg_bin ]]; then
  echo "pg-test-cluster: no PostgreSQL server found under /usr/lib/postgresql/*/bin (install postgresql)" >&2
  exit 1
fi

# initdb/postgres refuse to run as root: run them as the postgres user then.
as_owner() {
  if [[ $(id -u) == 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_file=$dir/port
data=$dir/data

url() { echo "postgresql://postgres@127.0.0.1:$(cat "$port_file")/$database"; }

running() { [[ -f $data/postmaster.pid ]] && as_owner "$pg_bin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start() {
  if running; then
    url
    return
  fi
  mkdir -p "$dir"
  if [[ $(id -u) == 0 ]]; then chown postgres:postgres "$dir"; fi
  chmod 700 "$dir"
  if [[ ! -f $data/PG_VERSION ]]; then
    as_owner "$pg_bin/initdb" -D "$data" -U postgres --auth=trust --encoding=UTF8 \
      --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  local port=$first_port
  while ! port_free "$port"; do
    port=$((port + 1))
    if ((port > first_port + 100)); then
      echo "pg-test-cluster: no free port in $first_port..$port" >&2
      exit 1
    fi
  done
  echo "$port" >"$port_file"
  as_owner "$pg_bin/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=200" \
    start >&2 || { tail -n 30 "$dir/server.log" >&2; exit 1; }
  if ! as_owner "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1; then
    as_owner "$pg_bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -q \
      -c "CREATE DATABASE $database" >&2
  fi
  url
}

stop() {
  if running; then
    as_owner "$pg_bin/pg_ctl" -D "$data" -m fast -w stop >&2
  fi
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  url)
    if running; then url; else echo "pg-test-cluster: not running (run: $0 start)" >&2; exit 1; fi
    ;;
  destroy)
    stop
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop|url|destroy" >&2
    exit 2
    ;;
esac
