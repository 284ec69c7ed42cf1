#!/usr/bin/env python3
"""Full-text multi-outlet news set for the engine benchmark (issue 18):
JSON Lines records {url, title, text, outlet, published}, in publication
order, shaped like a live desk's input: events reported by three outlets
each, about 3-5 kB of article text per record.

How it is made (real pages only, development data only):
- Source: PolNeAR's train split (../shared/bench/attribution/train/text, 840
  full-text articles on the 2016 US election from seven US outlets) with
  metadata.tsv's publisher, date and title. The dev and test splits are never
  read.
- Text: the article body as distributed (the title line dropped, and for the
  New York Times the "ABSTRACT." block before "FULL TEXT."); a body longer
  than --max-bytes (5,000) is cut at the last paragraph end before it (still
  real text, just the article's first part); bodies under --min-bytes (2,000)
  are left out, so most records hold 4-5 kB (median about 4.5 kB).
- Events: the articles are grouped into threes from three different outlets
  published within --days (7) of each other, greedily by TF-IDF cosine of
  their bodies (the best-matching pair first, then the third article that
  best matches both); a three whose weakest link is below --min-sim (0.03) is
  not an event. No labels are used, so an "event" is what the text says.
  PolNeAR samples 120 articles per outlet over a year, so only the first
  couple of dozen threes are the same event in the strict sense (the same
  debate, primary night, court ruling); the rest are the same campaign
  thread in the same week. The dossier clusterer decides for itself what a
  story is; bench-engine.sh reports how many stories have two or more
  outlets and how many sentence pairs went to the model.
- Records: url https://<outlet's domain>/<PolNeAR file name>, outlet the
  publisher's name, published the metadata date at an hour that differs per
  outlet (RFC 3339).

Usage: make_fulltext_bench.py OUT.jsonl [--events 100] [--all] [--truth T.json]
  --events N   that many three-outlet events (300 articles at 100; default)
  --all        every event that can be formed and then every other usable
               article too (the larger variant: 643 articles, 140 events)
  --truth F    also write {url: event} (for looking at what clustered)
"""
import argparse, csv, json, math, os, re, sys
from collections import Counter
from datetime import date

p = argparse.ArgumentParser()
p.add_argument("out")
p.add_argument("--events", type=int, default=100)
p.add_argument("--all", action="store_true")
p.add_argument("--truth")
p.add_argument("--shared", default=os.environ.get("SHARED", os.path.join(os.path.dirname(__file__), "..", "..", "shared", "bench")))
p.add_argument("--min-bytes", type=int, default=2000)
p.add_argument("--max-bytes", type=int, default=5000)
p.add_argument("--days", type=int, default=7)
p.add_argument("--min-sim", type=float, default=0.03)
args = p.parse_args()

OUTLETS = {
    "nyt": ("The New York Times", "www.nytimes.com", 6),
    "wash-post": ("The Washington Post", "www.washingtonpost.com", 7),
    "usa-today": ("USA Today", "www.usatoday.com", 8),
    "politico": ("Politico", "www.politico.com", 9),
    "huff-post": ("HuffPost", "www.huffpost.com", 10),
    "breitbart": ("Breitbart", "www.breitbart.com", 11),
    "west-journal": ("Western Journal", "www.westernjournal.com", 12),
}

root = os.path.join(args.shared, "attribution")
meta = {r["filename"]: r for r in csv.DictReader(open(os.path.join(root, "metadata.tsv"), encoding="utf-8"), delimiter="\t") if r["compartment"] == "train"}


def body_of(raw):
    if "FULL TEXT." in raw:
        raw = raw.split("FULL TEXT.", 1)[1]
    else:
        raw = raw.split("\n\n", 1)[1] if "\n\n" in raw else raw
    paras = [re.sub(r"[ \t]+", " ", x).strip() for x in re.split(r"\n\s*\n", raw)]
    paras = [x for x in paras if x]
    out, size = [], 0
    for x in paras:
        n = len(x.encode("utf-8")) + 2
        if size + n > args.max_bytes:
            break
        out.append(x)
        size += n
    return "\n\n".join(out)


docs = []
for fn in sorted(os.listdir(os.path.join(root, "train", "text"))):
    name = fn[:-4]
    m = meta.get(name)
    if not m or m["publisher"] not in OUTLETS:
        continue
    text = body_of(open(os.path.join(root, "train", "text", fn), encoding="utf-8").read())
    if len(text.encode("utf-8")) < args.min_bytes:
        continue
    docs.append({"name": name, "publisher": m["publisher"], "date": date.fromisoformat(m["publication_date"]), "title": m["title"].strip(), "text": text})

# TF-IDF over body words (terms in more than a third of the articles are too common to tell events apart).
words = [Counter(w for w in re.findall(r"[a-z][a-z'-]{2,}", d["text"].lower())) for d in docs]
df = Counter(w for c in words for w in c)
n = len(docs)
vecs = []
for c in words:
    v = {w: (1 + math.log(k)) * math.log(n / df[w]) for w, k in c.items() if df[w] <= n / 3}
    norm = math.sqrt(sum(x * x for x in v.values())) or 1.0
    vecs.append({w: x / norm for w, x in v.items()})


def cos(i, j):
    a, b = vecs[i], vecs[j]
    if len(a) > len(b):
        a, b = b, a
    return sum(x * b.get(w, 0.0) for w, x in a.items())


def near(i, j):
    return docs[i]["publisher"] != docs[j]["publisher"] and abs((docs[i]["date"] - docs[j]["date"]).days) <= args.days


sim = {}
for i in range(n):
    for j in range(i + 1, n):
        if near(i, j):
            s = cos(i, j)
            if s >= args.min_sim:
                sim[(i, j)] = s
S = lambda i, j: sim.get((min(i, j), max(i, j)), 0.0)

want = sys.maxsize if args.all else args.events
used, events = set(), []
for (i, j), s in sorted(sim.items(), key=lambda kv: (-kv[1], kv[0])):
    if len(events) >= want:
        break
    if i in used or j in used:
        continue
    best, third = args.min_sim, None
    for k in range(n):
        if k in used or k in (i, j) or not (near(i, k) and near(j, k)):
            continue
        w = min(S(i, k), S(j, k))
        if w >= best:
            best, third = w, k
    if third is None:
        continue
    events.append(sorted((i, j, third), key=lambda x: (docs[x]["date"], docs[x]["name"])))
    used.update((i, j, third))
if len(events) < want and not args.all:
    sys.exit(f"only {len(events)} events of three outlets could be formed (asked for {want})")

chosen = [(e, k) for e, ev in enumerate(events) for k in ev]
if args.all:
    chosen += [(len(events) + r, k) for r, k in enumerate(k for k in range(n) if k not in used)]
chosen.sort(key=lambda ek: (docs[ek[1]]["date"], OUTLETS[docs[ek[1]]["publisher"]][2], docs[ek[1]]["name"]))
truth = {}
os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
with open(args.out, "w", encoding="utf-8") as f:
    for e, k in chosen:
        d = docs[k]
        name, domain, hour = OUTLETS[d["publisher"]]
        url = f"https://{domain}/{d['name']}"
        truth[url] = f"e{e}"
        f.write(json.dumps({"url": url, "title": d["title"], "text": d["text"], "outlet": name, "published": f"{d['date'].isoformat()}T{hour:02d}:00:00Z"}, ensure_ascii=False) + "\n")
if args.truth:
    json.dump(truth, open(args.truth, "w"), indent=0)
sizes = sorted(len(docs[k]["text"].encode("utf-8")) for _, k in chosen)
print(f"{args.out}: {len(chosen)} articles, {len(events)} three-outlet events, text {sizes[0]}-{sizes[-1]} bytes (median {sizes[len(sizes) // 2]})", file=sys.stderr)
