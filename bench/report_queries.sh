#!/usr/bin/env bash
# The database's statements on one million jobs: how long the reports take
# (GET /v1/reports/summary through `stream-transcoding report`, by tenant, day
# and profile, and a day of jobs.csv), and the plans PostgreSQL chose for the
# claim, the listing, the reports and the reaper (EXPLAIN ANALYZE, captured by
# auto_explain from the statements the service itself sends).
#
#   bench/report_queries.sh [JOBS]     (default 1000000: about 2 minutes to load)
#
# The jobs are spread over 30 days and 20 tenants, 97% succeeded with five
# renditions each; their facts and the daily roll-up are loaded with set-based
# statements equal to what the trigger of migration 0009 writes per job
# (running the trigger a million times would take a quarter of an hour).
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
jobs=${1:-1000000}
bench_build test stream-transcoding
eval "$(scripts/dev-stack.sh up)"
binary=build/release/src/stream-transcoding

name=st_bench_reports
database=${ST_TEST_POSTGRES_ADMIN_URL%/*}/$name
work=$(mktemp -d)
service_pid=""
cleanup() {
  [ -z "$service_pid" ] || kill "$service_pid" 2> /dev/null || true
  wait 2> /dev/null || true
  psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $name" > /dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "DROP DATABASE IF EXISTS $name" > /dev/null
psql "$ST_TEST_POSTGRES_ADMIN_URL" -qc "CREATE DATABASE $name" > /dev/null
ST_DATABASE__URL=$database $binary migrate > /dev/null 2>&1

echo "loading $jobs jobs..."
start=$(date +%s)
psql "$database" -q -v ON_ERROR_STOP=1 -v jobs="$jobs" > /dev/null << 'SQL'
SET synchronous_commit = off;
-- The jobs: a month of them, 20 tenants; 97% succeeded, the rest failed; a
-- few hundred queued and running for the claim, the listing and the reaper.
INSERT INTO jobs (tenant_id, video_id, source_key, source_size, status, created_at, finished_at, result,
                  queued_at, next_attempt_at, lease_expires_at)
SELECT 'tenant-' || (n % 20), 'video-' || n, 'uploads/' || n || '.mp4', 30000000,
       CASE WHEN n > :jobs - 200 THEN 'queued'::job_status WHEN n > :jobs - 400 THEN 'running'::job_status
            WHEN n % 33 = 0 THEN 'failed'::job_status ELSE 'succeeded'::job_status END,
       t, CASE WHEN n > :jobs - 400 THEN NULL ELSE t + make_interval(secs => 20 + (n % 100)) END,
       CASE WHEN n % 33 = 0 OR n > :jobs - 400 THEN NULL ELSE jsonb_build_object(
           'bytes', 40000000, 'durationSeconds', 30,
           'timings', jsonb_build_object('fetchSeconds', 0.5, 'transcodeSeconds', 20, 'publishSeconds', 1,
                                         'cpuSeconds', 39 + (n % 7), 'encodeSpeed', 1.5)) END,
       t, t, CASE WHEN n > :jobs - 400 AND n <= :jobs - 200 THEN now() + interval '1 hour' END
  FROM (SELECT n, timestamptz '2026-11-01' + make_interval(secs => n * (2592000.0 / :jobs)) AS t
          FROM generate_series(1, :jobs) AS n) AS s;
INSERT INTO tenant_queue (tenant_id) SELECT DISTINCT tenant_id FROM jobs ON CONFLICT DO NOTHING;
INSERT INTO job_facts (job_id, tenant_id, status, created_at, finished_at, attempts, source_bytes, output_bytes,
                       output_seconds, fetch_seconds, transcode_seconds, encode_seconds, quality_seconds,
                       publish_seconds, cpu_seconds, encode_speed)
SELECT id, tenant_id, status, created_at, finished_at, 1, source_size, jsonb_number(result -> 'bytes')::bigint,
       jsonb_number(result -> 'durationSeconds'), 0.5, 20, 17, 2.4, 1,
       jsonb_number(result -> 'timings' -> 'cpuSeconds'), 1.5
  FROM jobs WHERE finished_at IS NOT NULL;
INSERT INTO rendition_facts (job_id, rendition, tenant_id, finished_at, width, height, average_bit_rate, size_bytes,
                             psnr, psnr_y, ssim, latency_seconds, cpu_seconds, output_seconds, source_bytes,
                             output_bytes)
SELECT f.job_id, r.name, f.tenant_id, f.finished_at, r.w, r.h, r.b, r.b * 30 / 8, r.p + random(), r.p + 2,
       r.s, extract(epoch FROM f.finished_at - f.created_at), f.cpu_seconds, f.output_seconds, f.source_bytes,
       f.output_bytes
  FROM job_facts AS f
  CROSS JOIN (VALUES ('1080p', 1920, 1080, 5000000, 44.0, 0.99), ('720p', 1280, 720, 2800000, 36.0, 0.97),
                     ('480p', 854, 480, 1400000, 33.5, 0.96), ('360p', 640, 360, 800000, 32.4, 0.95),
                     ('240p', 426, 240, 400000, 30.8, 0.94)) AS r (name, w, h, b, p, s)
 WHERE f.status = 'succeeded';
INSERT INTO rendition_daily (day, tenant_id, rendition, renditions, psnr_sum, psnr_count, ssim_sum, ssim_count,
                             bit_rate_sum, bit_rate_count, height, cpu_seconds, output_seconds, source_bytes,
                             output_bytes)
SELECT (finished_at AT TIME ZONE 'UTC')::date, tenant_id, rendition, count(*), sum(psnr), count(psnr), sum(ssim),
       count(ssim), sum(average_bit_rate), count(average_bit_rate), max(height), sum(cpu_seconds),
       sum(output_seconds), sum(source_bytes), sum(output_bytes)
  FROM rendition_facts GROUP BY 1, 2, 3;
VACUUM ANALYZE;
SQL
echo "loaded in $(($(date +%s) - start)) s: $(psql "$database" -Atc "SELECT count(*) FROM jobs") jobs," \
  "$(psql "$database" -Atc "SELECT count(*) FROM rendition_facts") rendition facts"

# Every statement of a new connection to this database is explained into the server's log.
log=$(dirname "$(psql "$ST_TEST_POSTGRES_ADMIN_URL" -Atc "SHOW data_directory")")/server.log
psql "$ST_TEST_POSTGRES_ADMIN_URL" -q << SQL > /dev/null
ALTER DATABASE $name SET session_preload_libraries = 'auto_explain';
ALTER DATABASE $name SET auto_explain.log_min_duration = 0;
ALTER DATABASE $name SET auto_explain.log_analyze = on;
ALTER DATABASE $name SET auto_explain.log_buffers = on;
SQL
log_start=$(stat -c %s "$log")

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
timed_report() {
  local seconds=()
  for _ in 1 2 3; do
    local t0 t1
    t0=$(date +%s.%N)
    ST_DATABASE__URL=$database $binary report "$@" > "$work/report.out"
    t1=$(date +%s.%N)
    seconds+=("$(echo "$t1 - $t0" | bc)")
  done
  printf '%s\n' "${seconds[@]}" | median
}
echo "report (median of 3, the whole command):"
for group in tenant day profile; do
  echo "  summary of 30 days by $group: $(timed_report --from 2026-11-01 --to 2026-12-01 --group-by "$group") s"
done
echo "  summary of 30 days and a half (partial days from the facts):" \
  "$(timed_report --from 2026-11-01T12:00:00Z --to 2026-12-01T12:00:00Z) s"
echo "  summary of one tenant, 30 days: $(timed_report --from 2026-11-01 --to 2026-12-01 --tenant tenant-7) s"
echo "  jobs.csv of one day: $(timed_report --from 2026-11-15 --to 2026-11-16 --format csv) s," \
  "$(($(wc -l < "$work/report.out") - 1)) rows"

# The service's own claim, listing and reaper statements, against the same data.
port=$((20000 + RANDOM % 20000))
ST_DATABASE__URL=$database ST_HTTP__PORT=$port ST_AUTH__ENABLED=false ST_AUTH__DEVELOPMENT=true \
  ST_STORAGE__SOURCE_DIR=$work ST_STORAGE__OUTPUT_DIR=$work/out ST_STORAGE__SCRATCH_DIR=$work/scratch \
  ST_KAFKA__BOOTSTRAP_SERVERS= ST_WORKER__CONCURRENCY=1 ST_WORKER__REAPER_INTERVAL_MS=500 \
  $binary serve --role all > "$work/serve.log" 2>&1 &
service_pid=$!
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$port/health/live" > /dev/null 2>&1 && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$port/v1/jobs?limit=50" -H "X-Tenant-Id: tenant-3" > /dev/null || true
sleep 3
kill "$service_pid" 2> /dev/null || true
wait "$service_pid" 2> /dev/null || true
service_pid=""

# The plans: the first of each kind, as auto_explain logged them.
tail -c +"$((log_start + 1))" "$log" > "$work/plans.log"
python3 - "$work/plans.log" << 'PY'
import re, sys
text = open(sys.argv[1], errors="replace").read()
entries = re.split(r"\n(?=\S.*LOG:  duration: )", text)
kinds = [("claim", "WITH picked AS"), ("listing", "ORDER BY created_at DESC, id DESC"), ("reaper", "lease_expires_at < now()"),
         ("summary: jobs by tenant", "FROM job_facts WHERE"), ("summary: renditions", "FROM rendition_daily"),
         ("jobs.csv page", "LEFT JOIN LATERAL")]
for kind, marker in kinds:
    found = [e for e in entries if "plan:" in e and marker in e]
    if not found:
        print(f"--- {kind}: no plan logged")
        continue
    entry = found[0]
    duration = re.search(r"duration: ([0-9.]+) ms", entry)
    plan = entry[entry.index("plan:") + 5:]
    plan = "\n".join(l for l in plan.splitlines() if not l.lstrip().startswith("Query Text"))
    print(f"--- {kind}: {duration.group(1) if duration else '?'} ms")
    print(plan.strip()[:4000])
PY
