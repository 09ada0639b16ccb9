"""Driver for bench/transcode_overhead.sh: runs (a) to (d) alternately and prints ratios."""
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

binary, master, work, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
packager = sys.argv[5]


def timed(argv):
    start = time.monotonic()
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.monotonic() - start


def run_a(i):
    out = os.path.join(work, f"a{i}")
    # The peers measure no quality: neither does (a) here; (e) prices the scores.
    seconds = timed([binary, "transcode", master, "-o", out, "--force", "--json", "--no-quality"])
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    return seconds, report, out


def encode_argv(report, out_dir):
    argv = next(c["argv"] for c in report["commands"] if c["step"] == "encode")
    os.makedirs(out_dir, exist_ok=True)
    return argv[:-1] + [os.path.join(out_dir, "ffmpeg.mpd")]


def naive_commands(report, argv, out_dir):
    """One ffmpeg per rendition, each decoding the source, with the same encoder options."""
    rate = report["ladder"]["frame_rate"]
    index = report["source"]["video"]["index"]
    commands = []
    for i, r in enumerate(report["renditions"]):
        chain = f"[0:{index}]fps=fps={rate}:start_time=0,scale={r['width']}:{r['height']}:flags=bicubic,setsar=1," \
                "format=yuv420p[v0]"
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
            elif re.match(r"^-[a-z_-]+:v:\d+$", arg):
                if arg.endswith(f":v:{i}"):
                    cmd += [arg[: arg.rindex(":")] + ":0", argv[j + 1]]
                skip = 1
            elif arg == "-map" and argv[j + 1].startswith("0:"):
                if i == 0:  # the audio is encoded once, by the first process
                    cmd += [arg, argv[j + 1]]
                skip = 1
            elif re.match(r"^-(filter|c|b|ac|ar):a:\d+$", arg):
                if i == 0:
                    cmd += [arg, argv[j + 1]]
                skip = 1
            elif arg == "-adaptation_sets":
                audio = i == 0 and any(a.startswith("-c:a") for a in argv)
                cmd += [arg, "id=0,streams=0 id=1,streams=1" if audio else "id=0,streams=0"]
                skip = 1
            else:
                cmd.append(arg)
        target = os.path.join(out_dir, f"r{i}")
        os.makedirs(target, exist_ok=True)
        commands.append(cmd + [os.path.join(target, "ffmpeg.mpd")])
    return commands


def peer_commands(report, argv, out_dir):
    """The professional open pipeline: the same ladder, encoder settings and
    decode, the conventional graph (every rung scaled from the full picture)
    written to one MP4 per rendition, then Shaka Packager for CMAF, HLS and DASH."""
    os.makedirs(out_dir, exist_ok=True)
    renditions = report["renditions"]
    rate = report["ladder"]["frame_rate"]
    graph = f"[0:{report['source']['video']['index']}]fps=fps={rate}:start_time=0"
    graph += f",split={len(renditions)}" + "".join(f"[s{i}]" for i in range(len(renditions))) if len(renditions) > 1 else "[s0]"
    for i, r in enumerate(renditions):
        graph += f";[s{i}]scale={r['width']}:{r['height']}:flags=bicubic,setsar=1,format=yuv420p[v{i}]"
    first_map = argv.index("-map")
    head = argv[:first_map]
    head[head.index("-filter_complex") + 1] = graph
    # Each -map and the options of its stream, up to the dash muxer's.
    outputs, j = [], first_map
    end = argv.index("-f")
    while j < end:
        if argv[j] == "-map":
            outputs.append([argv[j], argv[j + 1]])
        else:
            outputs[-1] += [re.sub(r":([va]):\d+$", r":\1", argv[j]), argv[j + 1]]
        j += 2
    ffmpeg, files = list(head), []
    for k, o in enumerate(outputs):
        kind = "video" if o[1].startswith("[v") else "audio"
        path = os.path.join(out_dir, f"{kind}{k}.mp4")
        files.append((kind, path, renditions[k]["name"] if kind == "video" else f"audio{k}"))
        ffmpeg += o + ["-f", "mp4", path]
    segment = report["output"]["segment_duration_seconds"]
    package = [packager]
    for kind, path, name in files:
        folder = f"{out_dir}/{kind}/{name}"
        extra = ",hls_group_id=audio,hls_name=audio" if kind == "audio" else ""
        package.append(f"in={path},stream={kind},init_segment={folder}/init.mp4,"
                       f"segment_template={folder}/seg-$Number%05d$.m4s,playlist_name={kind}/{name}/playlist.m3u8{extra}")
    package += ["--segment_duration", str(segment), "--hls_master_playlist_output", f"{out_dir}/master.m3u8",
                "--mpd_output", f"{out_dir}/manifest.mpd"]
    return ffmpeg, package, {name: path for kind, path, name in files if kind == "video"}


def psnr(rendition, source_width, source_height):
    """Whole-clip PSNR of a rendition against the master, scaled back to its size."""
    run = subprocess.run(["ffmpeg", "-hide_banner", "-nostats", "-i", rendition, "-i", master, "-filter_complex",
                          f"[0:v]scale={source_width}:{source_height}:flags=bicubic[d];[d][1:v]psnr",
                          "-f", "null", "-"], capture_output=True, text=True, check=True)
    return float(re.search(r"PSNR .* average:([0-9.]+|inf)", run.stderr).group(1))


def joined_rendition(out, folder, name):
    path = os.path.join(work, f"joined-{name}.mp4")
    with open(path, "wb") as joined:
        parts = ["init.mp4"] + sorted(f for f in os.listdir(os.path.join(out, folder)) if f.endswith(".m4s"))
        for part in parts:
            with open(os.path.join(out, folder, part), "rb") as f:
                shutil.copyfileobj(f, joined)
    return path


a_times, b_times, c_times, d_times, rss = [], [], [], [], []
a_psnr, d_psnr = {}, {}
for i in range(runs):
    seconds, report, a_out = run_a(i)
    a_times.append(seconds)
    rss.append(report["resources"]["self_peak_rss_bytes"])
    d_dir = os.path.join(work, f"d{i}")
    ffmpeg_cmd, package_cmd, d_files = peer_commands(
        report, next(c["argv"] for c in report["commands"] if c["step"] == "encode"), d_dir)
    start = time.monotonic()
    subprocess.run(ffmpeg_cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    subprocess.run(package_cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    d_times.append(time.monotonic() - start)
    if i == runs - 1:  # the same encodes every run: quality measured once
        video = report["source"]["video"]
        for r in report["renditions"]:
            a_psnr[r["name"]] = psnr(joined_rendition(a_out, r["folder"], r["name"]), video["width"], video["height"])
            d_psnr[r["name"]] = psnr(d_files[r["name"]], video["width"], video["height"])
    shutil.rmtree(a_out)
    shutil.rmtree(d_dir)
    b_dir = os.path.join(work, f"b{i}")
    b_times.append(timed(encode_argv(report, b_dir)))
    shutil.rmtree(b_dir)
    c_dir = os.path.join(work, f"c{i}")
    start = time.monotonic()
    for cmd in naive_commands(report, encode_argv(report, c_dir), c_dir):
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    c_times.append(time.monotonic() - start)
    shutil.rmtree(c_dir)
    print(f"run {i + 1}: a={a_times[-1]:.2f}s b={b_times[-1]:.2f}s c={c_times[-1]:.2f}s d={d_times[-1]:.2f}s",
          flush=True)

a, b, c = statistics.median(a_times), statistics.median(b_times), statistics.median(c_times)
d = statistics.median(d_times)
names = ", ".join(r["name"] for r in report["renditions"])
encode = next(c["argv"] for c in report["commands"] if c["step"] == "encode")
preset = encode[next(i for i, x in enumerate(encode) if x.startswith("-preset")) + 1]
video = report["source"]["video"]
print(f"source: {video['width']}x{video['height']}, {report['source']['duration_seconds']:.1f} s; "
      f"renditions: {names}; preset: {preset}")
print(f"median wall time: a={a:.2f}s  b={b:.2f}s  c={c:.2f}s  d={d:.2f}s  (runs={runs}, cores={os.cpu_count()})")
# Runs alternate, so each run's ratio compares neighbours in time; its median is
# less sensitive to the machine's drift than the ratio of medians.
paired_ab = statistics.median(x / y for x, y in zip(a_times, b_times))
paired_ca = statistics.median(z / x for x, z in zip(a_times, c_times))
print(f"a/b = {a / b:.3f} (median of per-run ratios {paired_ab:.3f})   "
      "stream-transcoding over its own ffmpeg command; goal <= 1.05")
print(f"c/a = {c / a:.3f} (median of per-run ratios {paired_ca:.3f})   "
      "one ffmpeg per rendition over stream-transcoding; goal >= 1.15")
paired_ad = statistics.median(x / y for x, y in zip(a_times, d_times))
print(f"a/d = {a / d:.3f} (median of per-run ratios {paired_ad:.3f})   "
      "stream-transcoding over ffmpeg to MP4s + Shaka Packager; goal <= 0.9")
print("per-rung PSNR against the master (dB):  " + "  ".join(
    f"{name}: a={a_psnr[name]:.2f} d={d_psnr[name]:.2f} ({a_psnr[name] - d_psnr[name]:+.2f})" for name in a_psnr))

# (e) What the quality scores cost: one run with them on.
out = os.path.join(work, "e")
subprocess.run([binary, "transcode", master, "-o", out, "--force", "--json"], check=True,
               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
with open(os.path.join(out, "report.json")) as f:
    steps = {s["name"]: s for s in json.load(f)["steps"]}
print(f"quality scores: {steps['quality']['cpu_seconds']:.2f} CPU-s, "
      f"{steps['quality']['cpu_seconds'] / steps['encode']['cpu_seconds']:.3f} of the encode's "
      f"{steps['encode']['cpu_seconds']:.2f} CPU-s; goal <= 0.15")
print(f"stream-transcoding peak RSS: {max(rss) / 1048576:.1f} MiB (ffmpeg excluded; goal < 50 MiB)")
