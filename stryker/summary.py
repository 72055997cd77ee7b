#!/usr/bin/env python3
"""Per-file and total mutation scores from a Stryker JSON report, and the surviving mutants.

usage: stryker/summary.py StrykerOutput/<run>/reports/mutation-report.json [--survivors]

Score = (killed + timeout) / (killed + timeout + survived + no coverage), as Stryker computes it; compile errors
and ignored mutants are not counted.
"""
import json
import sys
from collections import Counter

DETECTED = ("Killed", "Timeout")
UNDETECTED = ("Survived", "NoCoverage")


def main(path, survivors):
    report = json.load(open(path, encoding="utf-8"))
    total = Counter()
    print(f"| file | killed | timeout | survived | no coverage | score |")
    print(f"| --- | ---: | ---: | ---: | ---: | ---: |")
    for name, data in sorted(report["files"].items()):
        c = Counter(m["status"] for m in data["mutants"])
        valid = sum(c[s] for s in DETECTED + UNDETECTED)
        if valid == 0:
            continue
        total.update(c)
        short = name.split("/src/", 1)[-1]
        score = 100.0 * sum(c[s] for s in DETECTED) / valid
        print(f"| {short} | {c['Killed']} | {c['Timeout']} | {c['Survived']} | {c['NoCoverage']} | {score:.1f} % |")
    valid = sum(total[s] for s in DETECTED + UNDETECTED)
    if valid:
        score = 100.0 * sum(total[s] for s in DETECTED) / valid
        print(f"| **total** | {total['Killed']} | {total['Timeout']} | {total['Survived']} | {total['NoCoverage']} | **{score:.1f} %** |")
    if survivors:
        print()
        for name, data in sorted(report["files"].items()):
            source = data.get("source", "").splitlines()
            for m in sorted(data["mutants"], key=lambda m: (m["location"]["start"]["line"], m["location"]["start"]["column"])):
                if m["status"] in UNDETECTED:
                    line = m["location"]["start"]["line"]
                    text = source[line - 1].strip() if 0 < line <= len(source) else ""
                    print(f"{name.split('/src/', 1)[-1]}:{line} [{m['status']}] {m['mutatorName']}: {m.get('replacement', '')!r}  <- {text}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1], "--survivors" in sys.argv[2:])
