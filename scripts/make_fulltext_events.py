#!/usr/bin/env python3
"""A full-text benchmark set shaped like a desk's day: N events, each told by
three different outlets, articles of 1.5-5 kB, arriving in publication order.

Made from real news articles: the FNC-1 training bodies
(`../shared/bench/stance/train_*.csv`, from the Emergent project: articles
that several outlets wrote about one claim or rumour in 2014-15). Bodies that
share a related headline (agree / disagree / discuss) are about the same
claim; each connected group is one event. For each of N events (default 100)
the three longest bodies (each at least 1,500 characters) are taken, cut at a paragraph end
to at most 5,000 characters, titled with one of their own related headlines
(a body's "agree" headline first), and given three different outlets from a
pool of 12. Events start through 25 days; an event's three reports come
within 36 hours of its start. FNC-1 does not say which outlet wrote which
body, so outlets are assigned; everything else is the articles' own text.

Writes JSON Lines {url, title, text, outlet, published} in publication order,
and with TRUTH a JSON {url: event}.

Usage: make_fulltext_events.py OUT.jsonl [TRUTH.json] [--events N] [--seed S]
"""
import argparse, csv, json, os, random, sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("truth", nargs="?")
ap.add_argument("--events", type=int, default=100)
ap.add_argument("--seed", type=int, default=7)
ap.add_argument("--shared", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "bench"))
args = ap.parse_args()

stance = os.path.join(args.shared, "stance")
bodies = {int(r["Body ID"]): r["articleBody"] for r in csv.DictReader(open(os.path.join(stance, "train_bodies.csv"), encoding="utf-8"))}
rows = [r for r in csv.DictReader(open(os.path.join(stance, "train_stances.csv"), encoding="utf-8")) if r["Stance"] != "unrelated"]

parent = {}


def find(x):
    while parent.setdefault(x, x) != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


headlines = defaultdict(list)  # body -> [(rank, headline)]
rank = {"agree": 0, "discuss": 1, "disagree": 2}
for r in rows:
    b = int(r["Body ID"])
    parent[find(("h", r["Headline"]))] = find(("b", b))
    headlines[b].append((rank[r["Stance"]], r["Headline"]))

groups = defaultdict(list)
for x in list(parent):
    if x[0] == "b":
        groups[find(x)].append(x[1])


def cut(text, limit=5000):
    """The body up to `limit` characters, ended at a paragraph (or sentence) end."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = text[:limit]
    for sep in ("\n\n", "\n", ". "):
        i = head.rfind(sep)
        if i > limit // 2:
            return head[: i + (1 if sep == ". " else 0)].strip()
    return head


rng = random.Random(args.seed)
events = []
for key in sorted(groups, key=lambda k: min(groups[k])):
    members = sorted(b for b in groups[key] if len(bodies[b].strip()) >= 1500)
    if len(members) >= 3:
        events.append(members)
if len(events) < args.events:
    sys.exit(f"only {len(events)} events have three bodies of 1,500 characters or more")
events = rng.sample(events, args.events)

outlets = ["Daily Ledger", "Morning Courier", "Evening Standard Wire", "Metro Herald", "Capital Post", "Global Dispatch", "Coastal Tribune", "Northern Gazette", "Valley Times", "National Observer", "City Chronicle", "Union Press"]
start = datetime(2015, 3, 1, tzinfo=timezone.utc)
records, truth = [], {}
for e, members in enumerate(events):
    t0 = start + timedelta(seconds=rng.uniform(0, 25 * 86400))
    used = set()
    longest = sorted(members, key=lambda b: (-len(bodies[b].strip()), b))[:3]
    for b, outlet in zip(longest, rng.sample(outlets, 3)):
        title = next((h for _, h in sorted(headlines[b]) if h not in used), sorted(headlines[b])[0][1])
        used.add(title)
        t = t0 + timedelta(seconds=rng.uniform(0, 36 * 3600))
        url = f"https://{outlet.lower().replace(' ', '')}.example/{t:%Y/%m/%d}/fnc-{b}"
        records.append({"url": url, "title": title, "text": cut(bodies[b]), "outlet": outlet, "published": t.strftime("%Y-%m-%dT%H:%M:%SZ")})
        truth[url] = f"event-{e}"
records.sort(key=lambda r: r["published"])
with open(args.out, "w", encoding="utf-8") as f:
    for r in records:
        f.write(json.dumps(r, ensure_ascii=False) + "\n")
if args.truth:
    json.dump(truth, open(args.truth, "w"), indent=0)
sizes = sorted(len(r["text"]) for r in records)
print(f"{len(records)} articles, {args.events} events x 3 outlets; text {sizes[0]}-{sizes[-1]} chars, median {sizes[len(sizes) // 2]}", file=sys.stderr)
