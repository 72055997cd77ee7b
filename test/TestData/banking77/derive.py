#!/usr/bin/env python3
"""Derives test/TestData/banking77/{test,train}.csv from the full BANKING77 CSV files.

Usage: python3 derive.py SOURCE_DIR   (SOURCE_DIR holds test.csv, train.csv and categories.json from
PolyAI-LDN/task-specific-datasets, banking_data/)

Stratified and deterministic: 20 categories = card_arrival, then every category that has a test row needing
RFC 4180 care (a double quote or a line break inside a field), then categories.json order until 20. For each
category: test.csv keeps those special rows plus the first rows in file order up to 10; train.csv keeps its
first 5 rows. Rows are copied unchanged, keep the file's order, and are written the way the source is (minimal
quoting, CRLF), which reproduces the full files byte for byte.
"""
import csv
import io
import json
import os
import sys

CATEGORIES = 20
PER_CATEGORY = {"test": 10, "train": 5}

src = sys.argv[1]
here = os.path.dirname(os.path.abspath(__file__))


def read(split):
    with open(os.path.join(src, split + ".csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["text", "category"]
    return rows[0], rows[1:]


def special(text):
    return '"' in text or "\n" in text or "\r" in text


with open(os.path.join(src, "categories.json"), encoding="utf-8") as f:
    order = json.load(f)

header, test = read("test")
chosen = ["card_arrival"]
for text, category in test:
    if special(text) and category not in chosen:
        chosen.append(category)
for category in order:
    if len(chosen) >= CATEGORIES:
        break
    if category not in chosen:
        chosen.append(category)
chosen = set(chosen[:CATEGORIES])

for split in ("test", "train"):
    header, rows = read(split)
    n = PER_CATEGORY[split]
    keep = set()
    if split == "test":
        keep = {i for i, (t, c) in enumerate(rows) if c in chosen and special(t)}
    counts = {}
    for i in sorted(keep):
        counts[rows[i][1]] = counts.get(rows[i][1], 0) + 1
    for i, (t, c) in enumerate(rows):
        if c in chosen and i not in keep and counts.get(c, 0) < n:
            counts[c] = counts.get(c, 0) + 1
            keep.add(i)
    assert sorted(counts) == sorted(chosen) and max(counts.values()) == n, split
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows([header] + [rows[i] for i in sorted(keep)])
    path = os.path.join(here, split + ".csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(out.getvalue())
    print(path, len(keep), "rows", len(chosen), "categories")
