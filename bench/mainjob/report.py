#!/usr/bin/env python3
# The main-job benchmark's table: frames per second, CPU time per frame and CPU-written bytes per frame, ours against upstream.
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Reads what bench/mainjob/mainjob-bench.sh left in WORK and prints one
row per pipeline and the ratios upstream/ours. See the script's header for
how each figure is measured."""

import json
import os
import re
import sys

FRAME_BYTES = 640 * 480 * 4          # BGRx 640x480, the main path's frames
MAIN_PATH = {"ours": ["zcv4l2src0", "accel", "t", "queue0", "display"],
             "upstream": ["v4l2src0", "convert", "scale", "t", "queue0",
                          "display"]}


def read_run(work, name):
    d = os.path.join(work, name)
    times = open(os.path.join(d, "time")).read()
    m = re.search(r"^cpu ([\d.]+) ([\d.]+)", times, re.M)
    cpu = float(m.group(1)) + float(m.group(2))
    m = re.search(r"^wall ([\d.]+) ([\d.]+)", times, re.M)
    wall = float(m.group(2)) - float(m.group(1))
    audit = {r["element"]: r for r in
             json.load(open(os.path.join(d, "audit.json")))}
    log = open(os.path.join(d, "log"), errors="replace").read()
    shown = audit["display"]["frames"]
    written = 0
    unknown = []
    for element in MAIN_PATH[name.split("-")[0]]:
        r = audit.get(element)
        if r is None:
            continue
        if r.get("bytes_copied") is not None:
            written += r["bytes_copied"]
        elif element in ("convert", "scale"):
            # Software converter/scaler: every new output frame is written
            # by the CPU.
            written += r["out_new"] * FRAME_BYTES
        elif element == "display":
            written += len(re.findall(r"frame copy", log)) * FRAME_BYTES
        elif element not in ("v4l2src0", "t", "queue0"):
            unknown.append(element)
    thumbs = len([f for f in os.listdir(d) if f.startswith("thumb-")])
    snaps = len([f for f in os.listdir(d) if f.startswith("snapshot-")])
    return {"name": name, "cpu": cpu, "wall": wall, "shown": shown,
            "written": written, "unknown": unknown, "thumbs": thumbs,
            "snaps": snaps}


def ratio(a, b):
    return "%.2f" % (a / b) if b else "inf"


def main():
    work, frames = sys.argv[1], int(sys.argv[2])
    print("%-14s %7s %8s %11s %17s %7s %6s" % ("pipeline", "frames", "fps",
          "CPU ms/frame", "CPU-written B/fr", "thumbs", "snaps"))
    pairs = []
    for job in ("main", "job"):
        names = ("ours-main", "upstream-main") if job == "main" \
            else ("ours", "upstream")
        runs = [read_run(work, n) for n in names]
        for r in runs:
            r["fps"] = r["shown"] / r["wall"] if r["wall"] > 0 else 0
            r["cpu_per"] = r["cpu"] * 1000 / r["shown"] if r["shown"] else 0
            r["written_per"] = r["written"] / r["shown"] if r["shown"] else 0
            print("%-14s %7d %8.2f %11.2f %17.0f %7d %6d%s" % (r["name"],
                  r["shown"], r["fps"], r["cpu_per"], r["written_per"],
                  r["thumbs"], r["snaps"],
                  ("  (unknown: %s)" % ", ".join(r["unknown"]))
                  if r["unknown"] else ""))
            if r["shown"] < frames:
                print("  note: %s showed %d of %d frames" % (r["name"],
                      r["shown"], frames))
        pairs.append((job, runs))
    for job, (ours, up) in pairs:
        print("%s, ours/upstream: fps %s, upstream/ours: CPU per frame %s, "
              "CPU-written bytes per frame %s" % (
                  "main path" if job == "main" else "whole job",
                  ratio(ours["fps"], up["fps"]),
                  ratio(up["cpu_per"], ours["cpu_per"]),
                  ratio(up["written_per"], ours["written_per"])
                  if ours["written_per"] else
                  "%.0f against 0" % up["written_per"]))


if __name__ == "__main__":
    main()
