#!/usr/bin/env python3
"""Derives test/TestData/clinc150/data_full.json from the full CLINC150 data_full.json.

Usage: python3 derive.py SOURCE_DIR   (SOURCE_DIR holds data_full.json and domains.json from clinc/oos-eval, data/)

Stratified and deterministic: the first 4 intents of each of the 10 domains (domains.json order) = 40 intents;
for each of them the first 10 test, 2 val and 2 train rows in file order; the first 40 oos_test, 10 oos_val and
10 oos_train rows. Rows are copied unchanged and keep the file's order; the output uses the file's own JSON layout
(indent 4, ", " separators), so re-serialising the full file this way reproduces it byte for byte.
"""
import json
import os
import sys

INTENTS_PER_DOMAIN = 4
PER_INTENT = {"test": 10, "val": 2, "train": 2}
OOS = {"oos_test": 40, "oos_val": 10, "oos_train": 10}

src = sys.argv[1]
with open(os.path.join(src, "data_full.json"), encoding="utf-8") as f:
    full = json.load(f)
with open(os.path.join(src, "domains.json"), encoding="utf-8") as f:
    domains = json.load(f)

intents = [i for d in domains.values() for i in d[:INTENTS_PER_DOMAIN]]
chosen = set(intents)
sample = {}
for key, rows in full.items():  # keeps the file's key order
    if key in OOS:
        sample[key] = rows[:OOS[key]]
        continue
    taken, counts = [], {}
    for text, intent in rows:
        if intent in chosen and counts.get(intent, 0) < PER_INTENT[key]:
            counts[intent] = counts.get(intent, 0) + 1
            taken.append([text, intent])
    assert sorted(counts) == sorted(chosen) and set(counts.values()) == {PER_INTENT[key]}, key
    sample[key] = taken

texts = [t.strip() for t, _ in sample["test"]]
assert len(texts) == len(set(texts)), "test texts must be unique (they key the simulators' answers)"
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data_full.json")
with open(out, "w", encoding="utf-8", newline="\n") as f:
    f.write(json.dumps(sample, indent=4, separators=(", ", ": ")))
print(out, {k: len(v) for k, v in sample.items()}, len(intents), "intents")
