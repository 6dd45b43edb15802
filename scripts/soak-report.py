#!/usr/bin/python3
# Reads the samples of a soak run (zc-main-job --stats-interval, one JSON
# object per line) and says whether fds, mappings, memory and latency
# stayed flat: a text table and a PNG plot.
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Usage: soak-report.py STATS.jsonl [--text FILE] [--png FILE]

Flat means: the least-squares line through the samples after the
warm-up (the first sample, or the first 10 % of the run if that is longer:
caches, pools and thread pools fill then) moves by less than the
quantity's tolerance over the rest of the run:
  fds                 1 fd
  maps                2 mappings
  rss-kb, pss-kb      2 MiB or 5 % of the mean, whichever is larger
  latency (avg, p99)  5 ms or 25 % of the mean, whichever is larger
The latency mean is per interval (from zckmssink's running mean and
sample count), the p99 is zckmssink's over its latest 4096 frames; the
table also gives the share of the interval's shown frames that the sink
measured, since a latency computed from fewer and fewer frames says more
about the measurement than about the pipeline.
Exit status: 0 when everything is flat, 1 when something drifts or there
are fewer than 3 samples, 2 for bad arguments.
"""

import argparse
import json
import sys

# (key, label, unit, absolute tolerance, relative tolerance)
QUANTITIES = [
    ("fds", "open fds", "", 1, 0),
    ("maps", "mappings", "", 2, 0),
    ("rss-mib", "RSS", "MiB", 2, 0.05),
    ("pss-mib", "PSS", "MiB", 2, 0.05),
    ("latency-ms", "latency mean", "ms", 5, 0.25),
    ("p99-ms", "latency p99", "ms", 5, 0.25),
]


def load(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                rows.append(json.loads(line))
    return rows


def derive(rows):
    """Per sample: minutes and the quantities of QUANTITIES (None: absent)."""
    out = []
    prev_n = prev_total = None
    prev_shown = 0
    for r in rows:
        s = {"min": r["elapsed-s"] / 60.0, "fds": r["fds"], "maps": r["maps"],
             "rss-mib": r["rss-kb"] / 1024.0 if r["rss-kb"] >= 0 else None,
             "pss-mib": r["pss-kb"] / 1024.0 if r["pss-kb"] >= 0 else None,
             "latency-ms": None, "p99-ms": None, "measured-pct": None,
             "captured": r["captured"], "shown": r["shown"]}
        n, avg = r.get("latency-samples"), r.get("latency-avg-us")
        if n is not None and r["shown"] > prev_shown:
            s["measured-pct"] = 100.0 * (n - (prev_n or 0)) / (
                r["shown"] - prev_shown)
        prev_shown = r["shown"]
        if n is not None and avg is not None:
            total = avg * n
            if prev_n is not None and n > prev_n:
                s["latency-ms"] = (total - prev_total) / (n - prev_n) / 1000.0
            elif prev_n is None and n > 0:
                s["latency-ms"] = avg / 1000.0
            prev_n, prev_total = n, total
        if r.get("latency-p99-us") is not None and n:
            s["p99-ms"] = r["latency-p99-us"] / 1000.0
        out.append(s)
    return out


def fit(xs, ys):
    """Least-squares slope of ys over xs."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    if sxx == 0:
        return 0.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx


def judge(samples):
    """One verdict per quantity: dict of first, last, mean, drift, limit, flat."""
    verdicts = []
    warm_up = max(samples[0]["min"], 0.1 * samples[-1]["min"])
    body = [s for s in samples if s["min"] > warm_up]
    for key, label, unit, tol_abs, tol_rel in QUANTITIES:
        pts = [(s["min"], s[key]) for s in body if s[key] is not None]
        if len(pts) < 2:
            verdicts.append({"key": key, "label": label, "unit": unit,
                             "flat": None})
            continue
        xs, ys = zip(*pts)
        mean = sum(ys) / len(ys)
        drift = fit(xs, ys) * (xs[-1] - xs[0])
        limit = max(tol_abs, tol_rel * abs(mean))
        verdicts.append({"key": key, "label": label, "unit": unit,
                         "first": ys[0], "last": ys[-1], "min": min(ys),
                         "max": max(ys), "mean": mean, "drift": drift,
                         "limit": limit, "flat": abs(drift) < limit})
    return verdicts


def fmt(v):
    return "%.1f" % v if abs(v) < 1000 else "%.0f" % v


def text_report(samples, verdicts):
    last = samples[-1]
    lines = ["soak: %d samples over %.1f min; %d frames captured, %d shown"
             % (len(samples), last["min"], last["captured"], last["shown"]),
             "",
             "%-6s %5s %5s %8s %8s %8s %8s %s" % (
                 "min", "fds", "maps", "RSS MiB", "PSS MiB", "lat ms",
                 "p99 ms", "measured %")]
    for s in samples:
        def cell(k):
            return fmt(s[k]) if s[k] is not None else "-"
        lines.append("%-6.1f %5d %5d %8s %8s %8s %8s %s" % (
            s["min"], s["fds"], s["maps"], cell("rss-mib"), cell("pss-mib"),
            cell("latency-ms"), cell("p99-ms"), cell("measured-pct")))
    lines += ["", "after the warm-up (%.1f min); drift = least-squares slope "
              "x duration:" % max(samples[0]["min"], 0.1 * last["min"]), ""]
    lines.append("%-13s %9s %9s %9s %9s %10s %9s  %s" % (
        "quantity", "first", "last", "min", "max", "drift", "limit",
        "verdict"))
    for v in verdicts:
        name = v["label"] + (" (%s)" % v["unit"] if v["unit"] else "")
        if v["flat"] is None:
            lines.append("%-13s %s" % (name, "not reported"))
            continue
        lines.append("%-13s %9s %9s %9s %9s %+10.2f %9s  %s" % (
            name, fmt(v["first"]), fmt(v["last"]), fmt(v["min"]),
            fmt(v["max"]), v["drift"], fmt(v["limit"]),
            "FLAT" if v["flat"] else "DRIFTS"))
    return "\n".join(lines) + "\n"


def plot(samples, verdicts, path):
    from PIL import Image, ImageDraw, ImageFont

    panels = [v for v in verdicts if v["flat"] is not None]
    w, ph, left, right, top = 900, 170, 80, 20, 30
    img = Image.new("RGB", (w, ph * len(panels) + 20), "white")
    d = ImageDraw.Draw(img)
    try:
        font = ImageFont.truetype(
            "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 12)
    except OSError:
        font = ImageFont.load_default()
    tmax = max(s["min"] for s in samples) or 1
    for i, v in enumerate(panels):
        y0 = i * ph + top
        y1 = y0 + ph - top - 25
        pts = [(s["min"], s[v["key"]]) for s in samples
               if s[v["key"]] is not None]
        lo = min(p[1] for p in pts)
        hi = max(p[1] for p in pts)
        pad = max((hi - lo) * 0.2, v["limit"])
        lo, hi = lo - pad, hi + pad

        def xy(t, val):
            return (left + (w - left - right) * t / tmax,
                    y1 - (y1 - y0) * (val - lo) / (hi - lo))
        d.rectangle([left, y0, w - right, y1], outline="black")
        title = "%s%s: %s (drift %+.2f, limit %s)" % (
            v["label"], " [%s]" % v["unit"] if v["unit"] else "",
            "FLAT" if v["flat"] else "DRIFTS", v["drift"], fmt(v["limit"]))
        d.text((left, y0 - 16), title, fill="black", font=font)
        for val in (lo, (lo + hi) / 2, hi):
            d.text((5, xy(0, val)[1] - 6), fmt(val), fill="black", font=font)
        d.text((left, y1 + 4), "0 min", fill="black", font=font)
        d.text((w - right - 60, y1 + 4), "%.0f min" % tmax, fill="black",
               font=font)
        colour = "#1565c0" if v["flat"] else "#c62828"
        d.line([xy(t, val) for t, val in pts], fill=colour, width=2)
        for t, val in pts:
            x, y = xy(t, val)
            d.ellipse([x - 2, y - 2, x + 2, y + 2], fill=colour)
    img.save(path)


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("stats")
    ap.add_argument("--text")
    ap.add_argument("--png")
    args = ap.parse_args()
    samples = derive(load(args.stats))
    if len(samples) < 3:
        print("soak-report: %d samples, at least 3 needed" % len(samples),
              file=sys.stderr)
        return 1
    verdicts = judge(samples)
    report = text_report(samples, verdicts)
    if args.text:
        with open(args.text, "w") as f:
            f.write(report)
    else:
        sys.stdout.write(report)
    if args.png:
        plot(samples, verdicts, args.png)
    return 0 if all(v["flat"] is not False for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
