#!/usr/bin/env python3
"""Synthetic story stream for clustering scale benchmarks: N articles in
publication order over N/200 days; events start at a steady rate, each lasts
1-5 days and draws its articles' titles and leads from its own vocabulary
(6 event words out of a 50,000-word lexicon) plus common news words, with
Zipf-weighted picks. Writes JSON Lines (id, title, text, outlet, published)
and a truth file {id: event}.

Usage: make_stories.py N OUT.jsonl [TRUTH.json]
"""
import json, random, sys
from datetime import datetime, timedelta, timezone

n = int(sys.argv[1]); out = sys.argv[2]; truth_path = sys.argv[3] if len(sys.argv) > 3 else None
rng = random.Random(42)
lexicon = [f"w{i}" for i in range(50_000)]
common = "said officials report new year government people city police state week country world".split()
start = datetime(2024, 1, 1, tzinfo=timezone.utc)
days = max(1, n // 200)
events = []
truth = {}
with open(out, "w") as f:
    for i in range(n):
        t = start + timedelta(seconds=i * days * 86400 / n)
        # Keep about 40 live events; retire old ones, start new ones.
        events = [e for e in events if e["end"] > t]
        while len(events) < 40:
            words = rng.sample(lexicon, 6)
            events.append({"id": f"e{len(truth)}-{i}", "words": words, "end": t + timedelta(days=rng.uniform(1, 5))})
        e = events[min(int(rng.paretovariate(1.2)) - 1, len(events) - 1)]
        pick = lambda k: [rng.choice(e["words"][: rng.randint(3, 6)]) for _ in range(k)] + rng.sample(common, 2)
        title = " ".join(pick(4)).capitalize()
        text = ". ".join(" ".join(pick(6)).capitalize() for _ in range(2)) + "."
        f.write(json.dumps({"id": str(i), "title": title, "text": text, "outlet": f"Outlet {rng.randrange(300)}", "published": t.isoformat()}) + "\n")
        truth[str(i)] = e["id"]
if truth_path:
    json.dump(truth, open(truth_path, "w"))
