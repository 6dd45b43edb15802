#!/usr/bin/env python3
# Counts gst-check results from meson's test logs, host and test bed alike.
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Usage: count-tests.py BUILDDIR LOGBASE[=OTHERDIR:SUITE]...

Reads BUILDDIR/meson-logs/LOGBASE.json for each LOGBASE (meson test
--logbase) and the list of registered tests (meson introspect); the tests
of LOGBASE are those of the suite of the same name. LOGBASE=OTHERDIR:SUITE
reads another build directory's OTHERDIR/meson-logs/LOGBASE.json instead,
for the tests of SUITE there (the sanitizer build: asan=DIR:sanitize; the
file is LOGBASE-SUITE.json when meson test ran with --setup SUITE). Every
gst-check case counts: a program's "Checks: N, Failures: F, Errors: E"
line gives N cases of which F + E failed. A program that passed without
that line (a libFuzzer target) counts as one case; one that failed
without it (crash, timeout) counts as one failure, and so does a registered
test that never ran (the test bed did not boot), and so does a program
that failed after all its cases passed (a leak reported at exit). Prints
one line per program, then "N passed, N failed". Exit status 1 when
anything failed.
"""
import json
import re
import subprocess
import sys

SUMMARY = re.compile(r"Checks: (\d+), Failures: (\d+), Errors: (\d+)")


def registered(builddir, suite=None):
    """(suite, name) of every test; with @suite, the tests in that suite,
    named by it."""
    out = subprocess.run(["meson", "introspect", builddir, "--tests"],
                         check=True, capture_output=True, text=True).stdout
    tests = json.loads(out)
    if suite is None:
        return {(t["suite"][0].split(":")[-1], t["name"]) for t in tests}
    return {(suite, t["name"]) for t in tests
            if suite in (s.split(":")[-1] for s in t["suite"])}


def results(builddir, logbase, setup=None):
    found = {}
    name = f"{logbase}-{setup}" if setup else logbase
    try:
        with open(f"{builddir}/meson-logs/{name}.json") as f:
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
    for spec in logbases:
        logbase, _, other = spec.partition("=")
        if other:
            otherdir, _, suite = other.rpartition(":")
            found = results(otherdir, logbase, suite)
            if not found:
                found = results(otherdir, logbase)
            wanted = {(logbase, n) for _, n in registered(otherdir, suite)}
        else:
            found = results(builddir, logbase)
            wanted = {t for t in tests if t[0] == logbase}
        for suite, name in sorted(wanted):
            entry = found.get(name)
            m = SUMMARY.search(entry.get("stdout") or "") if entry else None
            if m and entry["result"] in ("OK", "FAIL"):
                n, f = int(m[1]), int(m[2]) + int(m[3])
                status = entry["result"]
                if status == "FAIL" and f == 0:
                    f = 1
            elif entry and entry["result"] == "OK" and not m:
                # not a gst-check program (a fuzzer): one case, passed
                n, f = 1, 0
                status = "OK"
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
