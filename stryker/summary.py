#!/usr/bin/env python3
"""Per-file and total mutation scores from a Stryker JSON report, and the surviving mutants.

usage: stryker/summary.py StrykerOutput/<run>/reports/mutation-report.json [--survivors] [--areas]

--areas adds a table per area, the areas being the config files beside this script (a file belongs to the area
whose "mutate" list names it).

Score = (killed + timeout) / (killed + timeout + survived + no coverage), as Stryker computes it; compile errors
and ignored mutants are not counted. Two kinds of undetected mutant are counted apart, in the "equivalent" column,
and left out of the adjusted score (docs/TESTING.md gives the reasons):
  - ConfigureAwait(false) mutated to ConfigureAwait(true): no SynchronizationContext exists in the gateway, the CLI
    or the tests, so the continuation runs the same way; no test can tell them apart.
  - mutants in static initialisers (Stryker's "static" flag): the value is computed once per test process, before
    the mutant is switched on, so the in-process MTP runner cannot observe them.
"""
import glob
import json
import os
import re
import sys
from collections import Counter

DETECTED = ("Killed", "Timeout")
UNDETECTED = ("Survived", "NoCoverage")


def equivalent(mutant, source):
    """Whether an undetected mutant is of a kind no test can observe (see the module's doc)."""
    if mutant.get("static"):
        return True
    start = mutant["location"]["start"]
    line = source[start["line"] - 1] if 0 < start["line"] <= len(source) else ""
    before = line[: start["column"] - 1]
    return mutant["mutatorName"] == "Boolean mutation" and mutant.get("replacement") == "true" and before.endswith("ConfigureAwait(")


def glob_regex(pattern):
    """A Stryker mutate glob as a regular expression over a file's path: '**/' is any folders, '*' any name part."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out += "(?:.*/)?"
            i += 3
        elif pattern[i] == "*":
            out += "[^/]*"
            i += 1
        else:
            out += re.escape(pattern[i])
            i += 1
    return re.compile("(?:^|.*/)" + out + "$")


def area_patterns():
    """(regex, area) for every mutate glob of the per-area configs beside this script (core, the union, left out)."""
    here = os.path.dirname(os.path.abspath(__file__))
    patterns = []
    for config in sorted(glob.glob(os.path.join(here, "*.json"))):
        area = os.path.splitext(os.path.basename(config))[0]
        if area == "core":
            continue
        for pattern in json.load(open(config, encoding="utf-8"))["stryker-config"].get("mutate", []):
            patterns.append((glob_regex(pattern), area))
    return patterns


def area_of(path, patterns):
    """The area whose mutate list names the file at path, or 'other'."""
    return next((area for regex, area in patterns if regex.match(path.replace("\\", "/"))), "other")


def main(path, survivors, areas=False):
    report = json.load(open(path, encoding="utf-8"))
    total = Counter()
    patterns = area_patterns()
    by_area = {}
    print("| file | killed | timeout | survived | no coverage | equivalent | score | adjusted |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, data in sorted(report["files"].items()):
        source = data.get("source", "").splitlines()
        c = Counter(m["status"] for m in data["mutants"])
        c["Equivalent"] = sum(1 for m in data["mutants"] if m["status"] in UNDETECTED and equivalent(m, source))
        valid = sum(c[s] for s in DETECTED + UNDETECTED)
        if valid == 0:
            continue
        total.update(c)
        by_area.setdefault(area_of(name, patterns), Counter()).update(c)
        short = name.split("/src/", 1)[-1]
        detected = sum(c[s] for s in DETECTED)
        print(f"| {short} | {c['Killed']} | {c['Timeout']} | {c['Survived']} | {c['NoCoverage']} | {c['Equivalent']} "
              f"| {100.0 * detected / valid:.1f} % | {100.0 * detected / (valid - c['Equivalent']):.1f} % |")
    valid = sum(total[s] for s in DETECTED + UNDETECTED)
    if valid:
        detected = sum(total[s] for s in DETECTED)
        print(f"| **total** | {total['Killed']} | {total['Timeout']} | {total['Survived']} | {total['NoCoverage']} | {total['Equivalent']} "
              f"| **{100.0 * detected / valid:.1f} %** | **{100.0 * detected / (valid - total['Equivalent']):.1f} %** |")
    if areas:
        print()
        print("| area | mutants | detected | equivalent | score | adjusted |")
        print("| --- | ---: | ---: | ---: | ---: | ---: |")
        for area, counts in sorted(by_area.items()):
            valid = sum(counts[s] for s in DETECTED + UNDETECTED)
            detected = sum(counts[s] for s in DETECTED)
            if valid:
                print(f"| {area} | {valid} | {detected} | {counts['Equivalent']} | {100.0 * detected / valid:.1f} % | {100.0 * detected / (valid - counts['Equivalent']):.1f} % |")
    if survivors:
        print()
        for name, data in sorted(report["files"].items()):
            source = data.get("source", "").splitlines()
            for m in sorted(data["mutants"], key=lambda m: (m["location"]["start"]["line"], m["location"]["start"]["column"])):
                if m["status"] in UNDETECTED and not equivalent(m, source):
                    line = m["location"]["start"]["line"]
                    text = source[line - 1].strip() if 0 < line <= len(source) else ""
                    print(f"{name.split('/src/', 1)[-1]}:{line} [{m['status']}] {m['mutatorName']}: {m.get('replacement', '')!r}  <- {text}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1], "--survivors" in sys.argv[2:], "--areas" in sys.argv[2:])
