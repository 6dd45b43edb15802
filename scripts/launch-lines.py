#!/usr/bin/env python3
# Runs the example launch lines of the elements' SECTION doc blocks.
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Usage: launch-lines.py [--list] [--timeout S] {host,vm} SOURCE|DIR...

A DIR stands for its elements' sources, DIR/*/gstzc*.c (e.g. ext).

Every element documents itself in a `SECTION:element-<name>` doc block at
the top of its source, whose `## Example launch line` code blocks
(`|[ ... ]|`) hold `gst-launch-1.0 ...` lines. A code block whose opening
carries a marker is run by this script:

    |[<!-- run: host -->                  any Linux machine (videotestsrc ...)
    |[<!-- run: vm -->                    needs the test bed's devices
    |[<!-- run: vm; creates: a.png b.png -->

Each line of a block with `run: WHERE` equal to the first argument is run
by `sh -c` in an empty scratch directory (so quoting is a shell's, as a
reader would type it) and must exit 0 (gst-launch-1.0 does on EOS, not on
an error) within the timeout, so every such line must end by itself
(num-buffers). After the block's last line, every file named by
`creates:` must exist in that directory and be non-empty. Blocks without
a marker are listed and not run. Prints one line per launch line and a
gst-check style "Checks: N, Failures: F, Errors: 0" line, which
scripts/count-tests.py reads. Exit status 1 when a line failed or none
ran. --list prints the lines with their marker and runs nothing
(scripts/gen-docs.py uses the same parser).
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

SECTION = re.compile(r"/\*\*\s*\n\s*\* SECTION:element-(\S+)\n(.*?)\*/", re.S)
MARKER = re.compile(r"<!--\s*run:\s*(host|vm)\s*(?:;\s*creates:\s*([^>]*?))?\s*-->")


def doc_lines(source):
    """The SECTION block of SOURCE as (element, text without ' * ')."""
    with open(source, encoding="utf-8") as f:
        m = SECTION.search(f.read())
    if not m:
        return None, ""
    lines = [re.sub(r"^\s*\* ?", "", l) for l in m[2].split("\n")]
    return m[1], "\n".join(lines)


def blocks(text):
    """Code blocks of a doc text: (where or None, creates, [command...])."""
    out = []
    for m in re.finditer(r"\|\[(<!--.*?-->)?\n(.*?)\]\|", text, re.S):
        marker = MARKER.search(m[1] or "")
        where = marker[1] if marker else None
        creates = (marker[2] or "").split() if marker else []
        # a shell line continued with a backslash is one command
        joined = re.sub(r"\\\n\s*", " ", m[2])
        cmds = [l.strip() for l in joined.split("\n")
                if l.strip().startswith("gst-launch-1.0")]
        if cmds:
            out.append((where, creates, cmds))
    return out


def run_block(element, creates, cmds, timeout):
    """Runs the block's lines in a scratch directory; returns failures."""
    failures = 0
    with tempfile.TemporaryDirectory(prefix=f"launch-{element}-") as tmp:
        for cmd in cmds:
            try:
                p = subprocess.run(["sh", "-c", cmd], cwd=tmp, timeout=timeout,
                                   capture_output=True, text=True)
                ok, why = p.returncode == 0, f"exit {p.returncode}"
            except subprocess.TimeoutExpired as e:
                p, ok, why = e, False, f"not ended after {timeout} s"
            print(f"{'PASS' if ok else 'FAIL'} {element}: {cmd}")
            if not ok:
                failures += 1
                print(f"  {why}\n  stdout: {p.stdout}\n  stderr: {p.stderr}")
        for name in creates:
            path = os.path.join(tmp, name)
            if not (os.path.isfile(path) and os.path.getsize(path) > 0):
                failures += 1
                print(f"FAIL {element}: {name} was not written "
                      f"(found: {sorted(os.listdir(tmp))})")
    return failures


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("where", choices=["host", "vm"])
    ap.add_argument("sources", nargs="+")
    args = ap.parse_args()

    sources = []
    for s in args.sources:
        sources += (sorted(glob.glob(os.path.join(s, "*", "gstzc*.c")))
                    if os.path.isdir(s) else [s])
    checks = failures = 0
    for source in sources:
        element, text = doc_lines(source)
        if not element:
            continue
        for where, creates, cmds in blocks(text):
            if args.list:
                for cmd in cmds:
                    print(f"{element}\t{where or 'unmarked'}\t{cmd}")
                continue
            if where is None:
                for cmd in cmds:
                    print(f"NOT RUN (no run: marker) {element}: {cmd}")
                continue
            if where != args.where:
                continue
            checks += len(cmds)
            failures += min(run_block(element, creates, cmds, args.timeout),
                            len(cmds))
    if args.list:
        return 0
    print(f"Checks: {checks}, Failures: {failures}, Errors: 0")
    return 1 if failures or not checks else 0


if __name__ == "__main__":
    sys.exit(main())
