#!/usr/bin/env python3
"""A stream of full-text news for the engine's scale benchmarks, made from
real article text: the 840 training articles of PolNeAR
(../shared/bench/attribution/train/text, 2016 US election coverage from seven
outlets; the training split only).

Each event takes one real article as its base; three to four outlets each
publish a report of it over the following hours: most of the base's
sentences (each kept with probability 0.7, in order), a few sentences of
another real article, a title from the base's title with the outlet's
wording. Events start at a steady rate (RATE articles a day in all), so the
stream looks like a desk's day: several outlets per event, arriving over
time, 3-5 kB of text each. Deterministic (seeded). Writes JSON Lines
(url, title, text, outlet, published) in publication order.

Usage: make_fulltext_stream.py N OUT.jsonl [RATE_PER_DAY] [START_DATE]
"""
import json, random, re, sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

n = int(sys.argv[1]); out = sys.argv[2]
rate = float(sys.argv[3]) if len(sys.argv) > 3 else 10_000.0
start = datetime.fromisoformat(sys.argv[4] if len(sys.argv) > 4 else "2024-01-01").replace(tzinfo=timezone.utc)
root = Path(__file__).resolve().parent.parent / ".." / "shared" / "bench" / "attribution"
meta = {}
for line in (root / "metadata.tsv").read_text().splitlines()[1:]:
    f = line.split("\t")
    meta[f[1]] = f[7]
texts = []
for p in sorted((root / "train" / "text").glob("*.txt")):
    body = p.read_text()
    sents = [s.strip() for s in re.split(r"(?<=[.!?])\s+(?=[A-Z\"“])", body) if len(s.strip()) > 30]
    if len(sents) >= 12:
        texts.append((meta.get(p.stem, sents[0][:80]), sents))
outlets = ["Daily Ledger", "Morning Wire", "Capital Post", "Evening Herald", "Metro Times", "The Courier", "Global Dispatch", "Citizen Report"]
rng = random.Random(7)
records = []
i = 0
event = 0
while len(records) < n:
    title, sents = texts[event % len(texts)]
    other = texts[rng.randrange(len(texts))][1]
    t0 = start + timedelta(days=len(records) / rate)
    for k, outlet in enumerate(rng.sample(outlets, rng.choice([3, 3, 4]))):
        body, size = [], 0
        for s in sents:
            if rng.random() < 0.7:
                body.append(s)
                size += len(s)
            if size > 4500:
                break
        body[2:2] = rng.sample(other, min(2, len(other)))
        when = t0 + timedelta(minutes=rng.randrange(20, 600) * (k + 1) / 2)
        records.append({
            "url": f"https://{outlet.lower().replace(' ', '')}.example/{event}/{k}",
            "title": title if k == 0 else f"{title} ({outlet})",
            "text": " ".join(body),
            "outlet": outlet,
            "published": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        })
    event += 1
records = records[:n]
records.sort(key=lambda r: r["published"])
with open(out, "w") as f:
    for r in records:
        f.write(json.dumps(r) + "\n")
print(f"{len(records)} articles, {event} events, {sum(len(r['text']) for r in records) / len(records):.0f} characters of text on average", file=sys.stderr)
