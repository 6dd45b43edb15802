#!/usr/bin/env python3
# Counts gst-check results from meson's test logs, host and test bed alike.
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Usage: count-tests.py BUILDDIR LOGBASE...

Reads BUILDDIR/meson-logs/LOGBASE.json for each LOGBASE (meson test
--logbase) and the list of registered tests (meson introspect). Every
gst-check case counts: a program's "Checks: N, Failures: F, Errors: E"
line gives N cases of which F + E failed. A program that ended without
that line (crash, timeout) counts as one failure, and so does a registered
test that never ran (the test bed did not boot). Prints one line per
program, then "N passed, N failed". Exit status 1 when anything failed.
"""
import json
import re
import subprocess
import sys

SUMMARY = re.compile(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)")


def registered(builddir):
    out = subprocess.run(["meson", "introspect", builddir, "--tests"],
                         check=True, capture_output=True, text=True).stdout
    return {(t["suite"][0].split(":")[-1], t["name"]) for t in json.loads(out)}


def results(builddir, logbase):
    found = {}
    try:
        with open(f"{builddir}/meson-logs/{logbase}.json") as f:
            for line in f:
                entry = json.loads(line)
                # "project:suite / name" -> name
                found[entry["name"].split(" / ")[-1]] = entry
    except FileNotFoundError:
        pass
    return found


def main():
    builddir, logbases = sys.argv[1], sys.argv[2:]
    passed = failed = 0
    tests = registered(builddir)
    for logbase in logbases:
        found = results(builddir, logbase)
        for suite, name in sorted(t for t in tests if t[0] == logbase):
            entry = found.get(name)
            m = SUMMARY.search(entry.get("stdout") or "") if entry else None
            if m and entry["result"] in ("OK", "FAIL"):
                n, f = int(m[1]), int(m[2]) + int(m[3])
                status = entry["result"]
            else:
                n, f = 1, 1
                status = entry["result"] if entry else "NOT RUN"
            passed += n - f
            failed += f
            print(f"{suite:5} {name:24} {status:8} {n - f}/{n} cases passed")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
