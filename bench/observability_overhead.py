"""Driver for bench/observability_overhead.sh: ingest and one job, metrics and tracing off and on, alternately."""
import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request

binary, work, bootstrap, otlp, runs, events = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(
    sys.argv[5]), int(sys.argv[6])
with_job = os.path.exists(os.path.join(work, "master.mp4"))  # SECONDS = 0: ingest only
admin = os.environ["ST_TEST_POSTGRES_ADMIN_URL"]
MODES = {
    "off": {"ST_METRICS__ENABLED": "false", "ST_OTEL__ENDPOINT": ""},
    "on": {"ST_METRICS__ENABLED": "true", "ST_OTEL__ENDPOINT": otlp, "ST_OTEL__SAMPLE_RATIO": "1"},
}


def psql(database, sql):
    return subprocess.run(["psql", database, "-tAc", sql], check=True, capture_output=True, text=True).stdout.strip()


def fresh_database(name):
    psql(admin, f"DROP DATABASE IF EXISTS {name}")
    psql(admin, f"CREATE DATABASE {name}")
    return admin.rsplit("/", 1)[0] + "/" + name


def start(env, log, args=()):
    full = {k: v for k, v in os.environ.items() if not k.startswith("ST_")}
    full.update({"ST_HTTP__HOST": "127.0.0.1", "ST_HTTP__PORT": "0", "ST_LOG__FORMAT": "json",
                 "ST_AUTH__ENABLED": "false", "ST_AUTH__DEVELOPMENT": "true"})
    full.update(env)
    out = open(log, "w")
    process = subprocess.Popen([binary, "serve", *args], env=full, stdout=out, stderr=subprocess.STDOUT)
    for _ in range(600):
        with open(log) as f:
            text = f.read()
        if "started as" in text:
            port = re.search(r"listening on [0-9.]+:([0-9]+)", text).group(1)
            return process, int(port)
        if process.poll() is not None:
            raise SystemExit(f"the service stopped:\n{text}")
        time.sleep(0.05)
    raise SystemExit("the service did not start")


def stop(process):
    process.terminate()
    process.wait(timeout=60)


def make_events():
    lines, unique, poison = [], 0, 0
    for i in range(events):
        if i % 100 == 99:
            poison += 1
            lines.append(f'poison-{i}\t{{"videoId": "poison-{i}", "tenantId": 42}}')
            continue
        if i % 10 == 9 and unique > 0:
            video = f"video-{(i * 7919) % unique}"
        else:
            video = f"video-{unique}"
            unique += 1
        event = {"videoId": video, "tenantId": "bench", "uploadedAt": "2026-11-25T10:00:00Z",
                 "source": {"bucket": "uploads", "key": video + ".mp4", "sizeBytes": 1000, "contentType": "video/mp4"}}
        lines.append(video + "\t" + json.dumps(event))
    path = os.path.join(work, "events.txt")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path, unique, poison


def ingest(mode, run, path, unique, poison):
    tag = f"{mode}{run}"
    database = fresh_database(f"st_bench_obs_{tag}")
    topic, dead = f"uploads-{tag}", f"uploads-{tag}.dead-letter"
    env = dict(MODES[mode], ST_DATABASE__URL=database, ST_KAFKA__BOOTSTRAP_SERVERS=bootstrap,
               ST_KAFKA__GROUP_ID=f"bench-{tag}", ST_KAFKA__UPLOADED_TOPIC=topic, ST_KAFKA__DEAD_LETTER_TOPIC=dead)
    log = os.path.join(work, f"ingest-{tag}.log")
    process, _ = start(env, log, ["--role", "api"])
    try:
        # The clock starts once the consumer has its partitions: joining the group is not ingest.
        for _ in range(600):
            with open(log) as f:
                if "partition(s) assigned" in f.read():
                    break
            time.sleep(0.05)
        # Both ends on the database's clock: the start read before producing, the end the
        # creation of the last job. Polling slowly costs the measured process nothing.
        began = float(psql(database, "SELECT extract(epoch FROM clock_timestamp())"))
        subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-K", "\t", "-l", path], check=True)
        # librdkafka's mock broker keeps about 5 MB per partition and deletes
        # the oldest messages beyond that (seen at 100,000 events: a consumer
        # that lagged lost them to the reset to the earliest offset left).
        deadline = time.monotonic() + 120
        while (created := int(psql(database, "SELECT count(*) FROM jobs"))) < unique:
            if time.monotonic() > deadline:
                raise SystemExit(f"{mode} run {run + 1}: {created} of {unique} jobs after 120 s (more events than "
                                 "the mock broker keeps? it holds about 5 MB per partition)")
            time.sleep(0.5)
        while True:
            read = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", dead, "-o", "beginning", "-e", "-q", "-f",
                                   "%o\n"], capture_output=True, text=True)
            if len(read.stdout.split()) >= poison:
                break
            if time.monotonic() > deadline:
                raise SystemExit(f"{mode} run {run + 1}: {len(read.stdout.split())} of {poison} dead letters")
            time.sleep(0.5)
        ended = float(psql(database, "SELECT extract(epoch FROM max(created_at)) FROM jobs"))
        return events / (ended - began)
    finally:
        stop(process)
        psql(admin, f"DROP DATABASE IF EXISTS st_bench_obs_{tag}")


def job(mode, run):
    tag = f"{mode}{run}"
    database = fresh_database(f"st_bench_obs_job_{tag}")
    env = dict(MODES[mode], ST_DATABASE__URL=database, ST_STORAGE__SOURCE_DIR=work,
               ST_STORAGE__OUTPUT_DIR=os.path.join(work, f"out-{tag}"),
               ST_STORAGE__SCRATCH_DIR=os.path.join(work, f"scratch-{tag}"), ST_WORKER__CONCURRENCY="1",
               ST_WORKER__POLL_MS="50")
    process, port = start(env, os.path.join(work, f"job-{tag}.log"))
    try:
        body = json.dumps({"tenantId": "bench", "videoId": f"job-{tag}", "source": {"key": "master.mp4"}}).encode()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/jobs", data=body,
                                         headers={"Content-Type": "application/json"})
        created = json.load(urllib.request.urlopen(request))
        while True:
            state = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/jobs/{created['id']}"))
            if state["status"] in ("succeeded", "failed", "dead"):
                break
            time.sleep(0.5)
        if state["status"] != "succeeded":
            raise SystemExit(f"the job {state['status']}: {state.get('error')}")
        # Claim to outcome, on the database's clock.
        return float(psql(database, f"SELECT extract(epoch FROM finished_at - started_at) FROM jobs"
                                    f" WHERE id = '{created['id']}'"))
    finally:
        stop(process)
        psql(admin, f"DROP DATABASE IF EXISTS st_bench_obs_job_{tag}")


path, unique, poison = make_events()
rates = {"off": [], "on": []}
walls = {"off": [], "on": []}
for run in range(runs):
    for mode in (("off", "on") if run % 2 == 0 else ("on", "off")):
        rates[mode].append(ingest(mode, run, path, unique, poison))
        walls[mode].append(job(mode, run) if with_job else 0.0)
        print(f"run {run + 1} {mode:3}: ingest {rates[mode][-1]:8,.0f} events/s"
              + (f", job {walls[mode][-1]:6.2f} s" if with_job else ""), flush=True)
requests, sent = 0, 0
if os.path.exists(os.path.join(work, "requests.jsonl")):
    for line in open(os.path.join(work, "requests.jsonl")):
        requests += 1
        sent += json.loads(line)["bytes"]
ingest_off, ingest_on = statistics.median(rates["off"]), statistics.median(rates["on"])
job_off, job_on = statistics.median(walls["off"]), statistics.median(walls["on"])
print(f"ingest ({events} events): off {ingest_off:,.0f} events/s, on {ingest_on:,.0f} events/s: "
      f"on/off throughput {ingest_on / ingest_off:.3f} (overhead {100 * (1 - ingest_on / ingest_off):+.1f}%)")
if with_job:
    print(f"job (claim to outcome): off {job_off:.2f} s, on {job_on:.2f} s: on/off wall {job_on / job_off:.3f} "
          f"(overhead {100 * (job_on / job_off - 1):+.1f}%)")
print(f"OTLP export requests received: {requests}, {sent / 1e6:.1f} MB")
