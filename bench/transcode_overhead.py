"""Driver for bench/transcode_overhead.sh: runs (a), (b) and (c) alternately and prints ratios."""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

binary, master, work, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])


def timed(argv):
    start = time.monotonic()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def run_a(i):
    out = os.path.join(work, f"a{i}")
    seconds = timed([binary, "transcode", master, "-o", out, "--force", "--json"])
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    shutil.rmtree(out)
    return seconds, report


def encode_argv(report, out_dir):
    argv = next(c["argv"] for c in report["commands"] if c["step"] == "encode")
    os.makedirs(out_dir, exist_ok=True)
    return argv[:-1] + [os.path.join(out_dir, "ffmpeg.mpd")]


def naive_commands(argv, out_dir):
    """One ffmpeg per rendition, derived from the single-decode command."""
    graph = argv[argv.index("-filter_complex") + 1]
    parts = graph.split(";")
    shared = re.sub(r",split=\d+(\[s\d+\])+$", "", parts[0])
    shared = re.sub(r"\[s0\]$", "", shared)
    branches = parts[1:] if len(parts) > 1 else []
    count = max(1, len(branches))
    commands = []
    for i in range(count):
        body = re.sub(r"^\[s\d+\]", "", branches[i]) if branches else ""
        body = re.sub(r"\[v\d+\]$", "", body)
        chain = shared + ("," + body if body else "") + "[v0]"
        cmd, skip = [], 0
        for j, arg in enumerate(argv[:-1]):
            if skip:
                skip -= 1
                continue
            if arg == "-filter_complex":
                cmd += [arg, chain]
                skip = 1
            elif arg == "-map" and argv[j + 1].startswith("[v"):
                if argv[j + 1] == f"[v{i}]":
                    cmd += ["-map", "[v0]"]
                skip = 1
            elif re.match(r"^-[a-z_]+:v:\d+$", arg):
                if arg.endswith(f":v:{i}"):
                    cmd += [arg[: arg.rindex(":")] + ":0", argv[j + 1]]
                skip = 1
            elif arg == "-map" and argv[j + 1].startswith("0:"):
                if i == 0:  # the audio is encoded once, by the first process
                    cmd += [arg, argv[j + 1]]
                skip = 1
            elif arg in ("-c:a", "-b:a", "-ac", "-ar"):
                if i == 0:
                    cmd += [arg, argv[j + 1]]
                skip = 1
            elif arg == "-adaptation_sets":
                cmd += [arg, "id=0,streams=0 id=1,streams=1" if i == 0 and "-c:a" in argv else "id=0,streams=0"]
                skip = 1
            else:
                cmd.append(arg)
        target = os.path.join(out_dir, f"r{i}")
        os.makedirs(target, exist_ok=True)
        commands.append(cmd + [os.path.join(target, "ffmpeg.mpd")])
    return commands


a_times, b_times, c_times, rss = [], [], [], []
for i in range(runs):
    seconds, report = run_a(i)
    a_times.append(seconds)
    rss.append(report["resources"]["self_peak_rss_bytes"])
    b_dir = os.path.join(work, f"b{i}")
    b_times.append(timed(encode_argv(report, b_dir)))
    shutil.rmtree(b_dir)
    c_dir = os.path.join(work, f"c{i}")
    start = time.monotonic()
    for cmd in naive_commands(encode_argv(report, c_dir), c_dir):
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    c_times.append(time.monotonic() - start)
    shutil.rmtree(c_dir)
    print(f"run {i + 1}: a={a_times[-1]:.2f}s b={b_times[-1]:.2f}s c={c_times[-1]:.2f}s", flush=True)

a, b, c = statistics.median(a_times), statistics.median(b_times), statistics.median(c_times)
names = ", ".join(r["name"] for r in report["renditions"])
encode = next(c["argv"] for c in report["commands"] if c["step"] == "encode")
preset = encode[next(i for i, x in enumerate(encode) if x.startswith("-preset")) + 1]
video = report["source"]["video"]
print(f"source: {video['width']}x{video['height']}, {report['source']['duration_seconds']:.1f} s; "
      f"renditions: {names}; preset: {preset}")
print(f"median wall time: a={a:.2f}s  b={b:.2f}s  c={c:.2f}s  (runs={runs}, cores={os.cpu_count()})")
# Runs alternate, so each run's ratio compares neighbours in time; its median is
# less sensitive to the machine's drift than the ratio of medians.
paired_ab = statistics.median(x / y for x, y in zip(a_times, b_times))
paired_ca = statistics.median(z / x for x, z in zip(a_times, c_times))
print(f"a/b = {a / b:.3f} (median of per-run ratios {paired_ab:.3f})   "
      "stream-transcoding over its own ffmpeg command; goal <= 1.05")
print(f"c/a = {c / a:.3f} (median of per-run ratios {paired_ca:.3f})   "
      "one ffmpeg per rendition over stream-transcoding; goal >= 1.15")
print(f"stream-transcoding peak RSS: {max(rss) / 1048576:.1f} MiB (ffmpeg excluded; goal < 50 MiB)")
