#!/usr/bin/env bash
# The servers StreamTranscoding uses, on loopback, without Docker, in .dev/.
#
#   scripts/dev-stack.sh up      start them (idempotent) and print the environment
#   scripts/dev-stack.sh env     print the environment: eval "$(scripts/dev-stack.sh env)"
#   scripts/dev-stack.sh down    stop them
#   scripts/dev-stack.sh reset   stop them and delete their data
#
# Today: PostgreSQL 15 (Debian's) on 127.0.0.1:${ST_DEV_PG_PORT:-55432}, and a
# Kafka-protocol broker (tools/kafka-mock-broker: librdkafka's mock cluster, since
# Debian has no Kafka; it picks a free port, printed as ST_KAFKA__BOOTSTRAP_SERVERS)
# with the service's topics, and an S3 API server (moto, on
# 127.0.0.1:${ST_DEV_S3_PORT:-55433}) with the buckets `uploads` and `outputs`.
# And Redis 7 (Debian's redis-server, on 127.0.0.1:${ST_DEV_REDIS_PORT:-55434},
# in memory only: locks, caches and live progress need no persistence).
#
# Overrides: ST_DEV_PG_PORT, ST_DEV_S3_PORT, ST_DEV_REDIS_PORT (ports),
# ST_DEV_KAFKA_PARTITIONS (6), and ST_DEV_DIR (.dev/ of this checkout): a second
# stack beside a running one needs its own directory and its own ports. A port
# override for a server that already runs on another port is refused (it would
# do nothing): `down` first, or use another ST_DEV_DIR.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
dev=${ST_DEV_DIR:-$repo/.dev}
mkdir -p "$dev"
dev=$(cd "$dev" && pwd)
pg_port=${ST_DEV_PG_PORT:-55432}
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2> /dev/null | sort -V | tail -n 1)
pg_dir=$dev/postgres
database=stream_transcoding
# As root, the server runs as postgres, which must reach its data directory; a
# checkout under a private home directory gets its data directory in /var/tmp.
if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$repo" 2> /dev/null; then
  pg_dir=/var/tmp/stream-transcoding-dev-$(printf '%s' "$dev" | cksum | cut -d' ' -f1)/postgres
fi

# A server of this stack already running on another port than the one asked
# for: refused, with what to do (it would silently keep the old port).
check_port() {
  local name=$1 dir=$2 port=$3 variable=$4
  [ -s "$dir/port" ] || return 0
  local running
  running=$(cat "$dir/port")
  [ "$running" = "$port" ] && return 0
  echo "dev-stack: $name of this stack ($dev) already runs on port $running, not $variable=$port;" \
    "run 'scripts/dev-stack.sh down' first, or start a second stack with its own ST_DEV_DIR" >&2
  exit 1
}

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
  if as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" status > /dev/null 2>&1; then
    check_port PostgreSQL "$pg_dir" "$pg_port" ST_DEV_PG_PORT
  else
    # Durability is not what a development server is for: fsync off makes tests fast.
    as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 30 start \
      -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c shared_preload_libraries=pg_stat_statements -c fsync=off -c synchronous_commit=off -c max_connections=300" \
      > /dev/null
    echo "$pg_port" > "$pg_dir/port"
  fi
  as_pg "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$database'" | grep -q 1 \
    || as_pg "$pg_bin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres "$database"
}

pg_down() {
  [ -s "$pg_dir/data/PG_VERSION" ] || return 0
  as_pg "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop > /dev/null 2>&1 || true
  rm -f "$pg_dir/port"
}

kafka_dir=$dev/kafka
kafka_partitions=${ST_DEV_KAFKA_PARTITIONS:-6}

kafka_up() {
  mkdir -p "$kafka_dir"
  local binary=$kafka_dir/kafka-mock-broker source=$repo/tools/kafka_mock_broker.cpp
  # Built here, not by CMake: the stack comes up before (and without) a build of the project.
  if [ ! -x "$binary" ] || [ "$source" -nt "$binary" ]; then
    g++ -std=c++20 -O2 -o "$binary" "$source" $(pkg-config --cflags --libs rdkafka) -pthread
  fi
  if [ -s "$kafka_dir/pid" ] && kill -0 "$(cat "$kafka_dir/pid")" 2> /dev/null; then return 0; fi
  rm -f "$kafka_dir/bootstrap"
  nohup "$binary" --bootstrap-file "$kafka_dir/bootstrap" \
    --topic "video-service.video-uploaded:$kafka_partitions" \
    --topic "video-service.video-uploaded.dead-letter:$kafka_partitions" \
    --topic "transcoding-service.video-transcoded:$kafka_partitions" \
    > "$kafka_dir/broker.log" 2>&1 &
  echo $! > "$kafka_dir/pid"
  for _ in $(seq 100); do
    [ -s "$kafka_dir/bootstrap" ] && return 0
    sleep 0.1
  done
  echo "dev-stack: the Kafka mock broker did not start (see $kafka_dir/broker.log)" >&2
  exit 1
}

kafka_down() {
  [ -s "$kafka_dir/pid" ] || return 0
  kill "$(cat "$kafka_dir/pid")" 2> /dev/null || true
  rm -f "$kafka_dir/pid" "$kafka_dir/bootstrap"
}

s3_dir=$dev/s3
s3_port=${ST_DEV_S3_PORT:-55433}

s3_up() {
  mkdir -p "$s3_dir"
  if [ -s "$s3_dir/pid" ] && kill -0 "$(cat "$s3_dir/pid")" 2> /dev/null; then
    check_port S3 "$s3_dir" "$s3_port" ST_DEV_S3_PORT
  else
    nohup python3 -m moto.server -H 127.0.0.1 -p "$s3_port" > "$s3_dir/server.log" 2>&1 &
    echo $! > "$s3_dir/pid"
    echo "$s3_port" > "$s3_dir/port"
  fi
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$s3_port/" && break
    sleep 0.1
  done
  # Buckets are idempotent to create; outputs are readable by players, as behind a CDN.
  local aws=(env AWS_ACCESS_KEY_ID=dev AWS_SECRET_ACCESS_KEY=dev AWS_DEFAULT_REGION=us-east-1
    aws --endpoint-url "http://127.0.0.1:$s3_port")
  for bucket in uploads outputs; do "${aws[@]}" s3 mb "s3://$bucket" > /dev/null 2>&1 || true; done
  "${aws[@]}" s3api put-bucket-policy --bucket outputs --policy \
    '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::outputs/*"}]}'
  "${aws[@]}" s3api put-bucket-cors --bucket outputs --cors-configuration \
    '{"CORSRules":[{"AllowedOrigins":["*"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["*"]}]}'
}

s3_down() {
  [ -s "$s3_dir/pid" ] || return 0
  kill "$(cat "$s3_dir/pid")" 2> /dev/null || true
  rm -f "$s3_dir/pid" "$s3_dir/port"
}

redis_dir=$dev/redis
redis_port=${ST_DEV_REDIS_PORT:-55434}

redis_up() {
  command -v redis-server > /dev/null || { echo "dev-stack: redis-server is not installed (scripts/setup.sh installs it)" >&2; exit 1; }
  mkdir -p "$redis_dir"
  if [ -s "$redis_dir/pid" ] && kill -0 "$(cat "$redis_dir/pid")" 2> /dev/null; then
    check_port Redis "$redis_dir" "$redis_port" ST_DEV_REDIS_PORT
  else
    echo "$redis_port" > "$redis_dir/port"
    redis-server --bind 127.0.0.1 --port "$redis_port" --save '' --appendonly no --dir "$redis_dir" \
      --daemonize yes --pidfile "$redis_dir/pid" --logfile "$redis_dir/server.log" > /dev/null
  fi
  for _ in $(seq 100); do
    redis-cli -p "$redis_port" ping 2> /dev/null | grep -q PONG && return 0
    sleep 0.1
  done
  echo "dev-stack: Redis did not start (see $redis_dir/server.log)" >&2
  exit 1
}

redis_down() {
  [ -s "$redis_dir/pid" ] || return 0
  kill "$(cat "$redis_dir/pid")" 2> /dev/null || true
  rm -f "$redis_dir/pid" "$redis_dir/port"
}

print_env() {
  # The ports the servers really run on (`env` may be called without the overrides).
  [ ! -s "$pg_dir/port" ] || pg_port=$(cat "$pg_dir/port")
  [ ! -s "$s3_dir/port" ] || s3_port=$(cat "$s3_dir/port")
  [ ! -s "$redis_dir/port" ] || redis_port=$(cat "$redis_dir/port")
  echo "export ST_DATABASE__URL=postgresql://postgres@127.0.0.1:$pg_port/$database"
  echo "export ST_TEST_POSTGRES_ADMIN_URL=postgresql://postgres@127.0.0.1:$pg_port/postgres"
  [ ! -s "$kafka_dir/bootstrap" ] || echo "export ST_KAFKA__BOOTSTRAP_SERVERS=$(cat "$kafka_dir/bootstrap")"
  # moto accepts any keys.
  echo "export ST_S3__ENDPOINT=http://127.0.0.1:$s3_port ST_S3__OUTPUT_BUCKET=outputs ST_S3__SOURCE_BUCKETS=uploads"
  echo "export ST_S3__ACCESS_KEY_ID=dev ST_S3__SECRET_ACCESS_KEY=dev"
  # The aws CLI (1.29 and later read AWS_ENDPOINT_URL) reaches the same S3.
  echo "export AWS_ACCESS_KEY_ID=dev AWS_SECRET_ACCESS_KEY=dev AWS_DEFAULT_REGION=us-east-1" \
    "AWS_ENDPOINT_URL=http://127.0.0.1:$s3_port"
  echo "export ST_REDIS__URL=redis://127.0.0.1:$redis_port"
  # A development stack on loopback: the API without tokens (the service logs it loudly).
  echo "export ST_AUTH__ENABLED=false ST_AUTH__DEVELOPMENT=true"
}

case "${1:-}" in
  up) pg_up; kafka_up; s3_up; redis_up; print_env ;;
  env) print_env ;;
  down) redis_down; s3_down; kafka_down; pg_down ;;
  reset) redis_down; s3_down; kafka_down; pg_down; rm -rf "$pg_dir" "$kafka_dir" "$s3_dir" "$redis_dir" ;;
  *) echo "usage: $0 up|env|down|reset" >&2; exit 2 ;;
esac
