#!/usr/bin/env bash
# The servers StreamTranscoding uses, on loopback, without Docker, in .dev/.
#
#   scripts/dev-stack.sh up      start them (idempotent) and print the environment
#   scripts/dev-stack.sh env     print the environment: eval "$(scripts/dev-stack.sh env)"
#   scripts/dev-stack.sh down    stop them
#   scripts/dev-stack.sh reset   stop them and delete their data
#
# Today: PostgreSQL 15 (Debian's) on 127.0.0.1:${ST_DEV_PG_PORT:-55432}. Redis, a
# Kafka-protocol broker and an S3 API server join in later issues.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dev=$repo/.dev
pg_port=${ST_DEV_PG_PORT:-55432}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1)
pg_dir=$dev/postgres
database=stream_transcoding
# As root, the server runs as postgres, which must reach its data directory; a
# checkout under a private home directory gets its data directory in /var/tmp.
if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$repo" 2> /dev/null; then
  pg_dir=/var/tmp/stream-transcoding-dev-$(printf '%s' "$repo" | cksum | cut -d' ' -f1)/postgres
fi

# PostgreSQL refuses to run as root: as root, its commands run as the postgres user.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_up() {
  [ -n "$pg_bin" ] || { echo "dev-stack: PostgreSQL is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
  mkdir -p "$pg_dir"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$pg_dir"
  if [ ! -s "$pg_dir/data/PG_VERSION" ]; then
    as_pg "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust --encoding=UTF8 --no-locale > "$pg_dir/initdb.log"
  fi
  if ! as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" status > /dev/null 2>&1; then
    # Durability is not what a development server is for: fsync off makes tests fast.
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 30 start \
      -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=300" \
      > /dev/null
  fi
  as_pg "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1 \
    || as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "$database"
}

pg_down() {
  [ -s "$pg_dir/data/PG_VERSION" ] || return 0
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop > /dev/null 2>&1 || true
}

print_env() {
  echo "export ST_DATABASE__URL=postgresql://postgres@127.0.0.1:$pg_port/$database"
  echo "export ST_TEST_POSTGRES_ADMIN_URL=postgresql://postgres@127.0.0.1:$pg_port/postgres"
}

case "${1:-}" in
  up) pg_up; print_env ;;
  env) print_env ;;
  down) pg_down ;;
  reset) pg_down; rm -rf "$pg_dir" ;;
  *) echo "usage: $0 up|env|down|reset" >&2; exit 2 ;;
esac
