"""Prints bench/per_title.sh's table from the reports of its transcodes."""
import json
import sys
from pathlib import Path

work = Path(sys.argv[1])
times = {}
for line in (work / "times").read_text().split("\n"):
    if line:
        source, ladder, seconds = line.split()
        times[(source, ladder)] = float(seconds)


def rungs(report):
    quality = {q["rendition"]: q["mean"] for q in report["quality"]["renditions"]}
    out = {}
    for r in report["renditions"]:
        if "width" not in r:
            continue
        out[r["name"]] = {
            "kbps": r["measured"]["average_bps"] / 1000,
            "bytes": r["size_bytes"],
            "size": f'{r["width"]}x{r["height"]}',
            "psnr": quality[r["name"]]["psnr"],
            "ssim": quality[r["name"]]["ssim"],
        }
    return out


def step(report, name):
    return sum(s["wall_seconds"] for s in report["steps"] if s["name"] == name)


verdicts = []
for source in ["static", "talking-head", "high-motion"]:
    fixed_report = json.loads((work / f"{source}-fixed" / "report.json").read_text())
    fitted_report = json.loads((work / f"{source}-per-title" / "report.json").read_text())
    fixed, fitted = rungs(fixed_report), rungs(fitted_report)
    reasons = {c["rendition"]: c for c in fitted_report["ladder"]["per_title"].get("rungs", [])}
    print(f"\n{source}")
    print(f'  {"rung":6} {"fixed kbps":>10} {"PSNR":>6} {"SSIM":>7} | {"per-title":>9} {"size":>9} {"PSNR":>6} '
          f'{"SSIM":>7} | {"bits":>6} {"dPSNR":>6} {"dSSIM":>7}  choice')
    within = True
    better = False
    no_more = True
    for name, a in fixed.items():
        b = fitted.get(name)
        choice = reasons.get(name, {})
        how = "dropped" if choice.get("dropped") else (
            f'CRF {choice["crf"]}' if choice.get("crf") else "ABR at the ceiling")
        if b is None:
            print(f'  {name:6} {a["kbps"]:10.0f} {a["psnr"]:6.2f} {a["ssim"]:7.5f} | {"-":>9} {"":>9} {"":>6} {"":>7} '
                  f'| {"":>6} {"":>6} {"":>7}  {how}')
            continue
        d_psnr = b["psnr"] - a["psnr"]
        d_ssim = b["ssim"] - a["ssim"]
        within &= d_psnr >= -0.2 and d_ssim >= -0.002
        better |= d_psnr > 0.05
        no_more &= b["bytes"] <= a["bytes"] * 1.01
        print(f'  {name:6} {a["kbps"]:10.0f} {a["psnr"]:6.2f} {a["ssim"]:7.5f} | {b["kbps"]:9.0f} {b["size"]:>9} '
              f'{b["psnr"]:6.2f} {b["ssim"]:7.5f} | {b["bytes"] / a["bytes"] - 1:+6.0%} {d_psnr:+6.2f} {d_ssim:+7.4f}  '
              f'{how}')
    total_a = sum(r["bytes"] for r in fixed.values())
    total_b = sum(r["bytes"] for r in fitted.values())
    saving = 1 - total_b / total_a
    print(f"  total bytes: fixed {total_a:,}, per-title {total_b:,} ({-saving:+.0%})")
    print(f'  wall: fixed {times[(source, "fixed")]:.1f} s, per-title {times[(source, "per-title")]:.1f} s '
          f'(analyse {step(fitted_report, "analyse"):.1f} s, encode {step(fitted_report, "encode"):.1f} s '
          f'against {step(fixed_report, "encode"):.1f} s)')
    if source == "high-motion":
        ok = within and better and total_b <= total_a
        verdicts.append(f"{source}: better quality on some rung, none worse, no more bits: {'met' if ok else 'NOT met'}")
    else:
        ok = within and saving >= 0.2
        verdicts.append(f"{source}: {saving:.0%} fewer bits with every rung within 0.2 dB / 0.002: "
                        f"{'met' if ok else 'NOT met'}")
print()
for v in verdicts:
    print(v)
