#!/usr/bin/env python3
"""Splits FNC-1 stance rows by Body ID into a training part and a held-out part
(no body on both sides), so the held-out figure is on bodies the model never saw.

    python3 scripts/split_stance.py ../shared/bench/stance/train_stances.csv OUTDIR [--share 0.2]

writes OUTDIR/fit_stances.csv and OUTDIR/holdout_stances.csv (same columns, rows in
file order); the bodies file serves both. A body is held out when the SHA-256 of
"stance-holdout:" + its ID falls in the lowest --share of the range: the split
never depends on the rows' order or on a random seed.
"""
import argparse, csv, hashlib, os, sys

ap = argparse.ArgumentParser()
ap.add_argument("stances")
ap.add_argument("outdir")
ap.add_argument("--share", type=float, default=0.2)
a = ap.parse_args()

def held(body_id):
    h = int.from_bytes(hashlib.sha256(f"stance-holdout:{body_id}".encode()).digest()[:8], "big")
    return h < a.share * 2**64

os.makedirs(a.outdir, exist_ok=True)
with open(a.stances, newline="", encoding="utf-8") as f:
    rows = list(csv.reader(f))
header, rows = rows[0], rows[1:]
col = header.index("Body ID")
parts = {True: [], False: []}
for r in rows:
    parts[held(r[col].strip())].append(r)
for name, part in (("fit_stances.csv", parts[False]), ("holdout_stances.csv", parts[True])):
    with open(os.path.join(a.outdir, name), "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(part)
bodies = lambda p: len({r[col] for r in p})
print(f"fit: {len(parts[False])} rows, {bodies(parts[False])} bodies; held out: {len(parts[True])} rows, {bodies(parts[True])} bodies", file=sys.stderr)
