# Sourced by the end-to-end scripts: a fresh work directory, moto (S3), the
# Kafka-protocol broker with the service's topics, a database of its own, the
# aws CLI pointed at moto, and the `uploads` and `outputs` buckets (the latter
# readable by anyone from any page, as a CDN origin would be). Stops them all
# and drops the database on exit. Expects $work, $broker_binary and
# ST_TEST_POSTGRES_ADMIN_URL; sets $s3, $bootstrap, $database_url and fail().
: "${ST_TEST_POSTGRES_ADMIN_URL:?run eval \"\$(scripts/dev-stack.sh up)\" first}"
rm -rf "$work" && mkdir -p "$work"
database=st_e2e_$$
database_url=${ST_TEST_POSTGRES_ADMIN_URL%/*}/$database
pids=()
# Every process is asked to stop and waited for at most 30 s; one still there
# is named and killed (a service that does not stop on SIGTERM is a bug, and
# the test fails for it rather than hanging until CTest's timeout).
stop_processes() {
  [ ${#pids[@]} -gt 0 ] || return 0
  kill "${pids[@]}" 2> /dev/null || true
  (
    sleep 30 < /dev/null > /dev/null 2>&1
    for pid in "${pids[@]}"; do
      [ -e "/proc/$pid" ] && [ "$(cut -d' ' -f3 "/proc/$pid/stat" 2> /dev/null)" != Z ] || continue
      echo "e2e: '$(tr '\0' ' ' < "/proc/$pid/cmdline")' did not stop within 30 s of SIGTERM; killed" >&2
      ! command -v gdb > /dev/null || gdb -p "$pid" -batch -ex 'thread apply all bt' 2> /dev/null | grep '^#' | head -n 80 >&2
      kill -KILL "$pid" 2> /dev/null || true
      touch "$work/unstopped"
    done
  ) &
  local watchdog=$!
  wait "${pids[@]}" 2> /dev/null || true
  local sleeper
  sleeper=$(pgrep -P "$watchdog" sleep || true)
  kill "$watchdog" $sleeper 2> /dev/null || true
  wait "$watchdog" 2> /dev/null || true
}
cleanup() {
  local status=$?
  stop_processes
  psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $database" > /dev/null 2>&1 || true
  [ ! -e "$work/unstopped" ] || status=1
  exit "$status"
}
trap cleanup EXIT
fail() { echo "e2e: $*" >&2; [ ! -f "$work/service.log" ] || tail -n 30 "$work/service.log" >&2; exit 1; }
# The player writes to a file, shown afterwards: a browser process that
# outlived it would otherwise hold CTest's output pipe open until the timeout.
play() {
  local status=0
  node "$here/../player/play.mjs" "$@" > "$work/player.log" 2>&1 || status=$?
  cat "$work/player.log"
  return "$status"
}
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

s3_port=$(free_port)
python3 -m moto.server -H 127.0.0.1 -p "$s3_port" > "$work/moto.log" 2>&1 &
pids+=($!)
"$broker_binary" --bootstrap-file "$work/bootstrap" --topic video-service.video-uploaded:2 \
  --topic video-service.video-uploaded.dead-letter:1 --topic transcoding-service.video-transcoded:2 \
  --topic transcoding-service.transcode-progress:1 > "$work/broker.log" 2>&1 &
pids+=($!)
psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "CREATE DATABASE $database" > /dev/null
for _ in $(seq 100); do
  [ -s "$work/bootstrap" ] && curl -s -o /dev/null "http://127.0.0.1:$s3_port/" && break
  sleep 0.2
done
bootstrap=$(cat "$work/bootstrap")
s3=http://127.0.0.1:$s3_port
export AWS_ACCESS_KEY_ID=e2e AWS_SECRET_ACCESS_KEY=e2e AWS_DEFAULT_REGION=us-east-1
aws() { command aws --endpoint-url "$s3" "$@"; }
aws s3 mb s3://uploads > /dev/null
aws s3 mb s3://outputs > /dev/null
aws s3api put-bucket-policy --bucket outputs --policy \
  '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::outputs/*"}]}'
aws s3api put-bucket-cors --bucket outputs --cors-configuration \
  '{"CORSRules":[{"AllowedOrigins":["*"],"AllowedMethods":["GET","HEAD"],"AllowedHeaders":["*"]}]}'
