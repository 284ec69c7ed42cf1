#!/usr/bin/env python3
"""Error analysis of the body on a benchmark's half, block by block.

Usage:
  wcxb_blocks.py BLOCKS.jsonl PRED.json [DIR] [--half A] [--below 0.95] [--pages]

BLOCKS.jsonl is `cargo run --release -p dossier-extract --example blockdump --
DIR BLOCKS.jsonl`; PRED.json is evaldir's. On every page of the half whose
shingle F1 is under --below, each block is the label's when half its word
4-grams are in the labelled body, and each wrongly decided block is put down
to a cause: a label block dropped (recall) by the rule that dropped it and
its kind; a kept block not in the label (precision) by what it looks like
(class/id words on its path, a byline or date shape, link density, kind). A
cause's figure is what the half's F1 gains when only that cause's blocks are
decided as the label would and all others as now: points of the
benchmark's own F1. Prints the table in Markdown; --pages lists each page's
main causes.
"""
import argparse, json, re, sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from wcxb_split import half, page_f1, shingle_f1, WORD  # noqa: E402


def shingles(text, n=4):
    w = WORD.findall(text or "")
    if len(w) < n:
        return [tuple(w)] if w else []
    return [tuple(w[i:i + n]) for i in range(len(w) - n + 1)]


def block_kind(b):
    k = b["kind"]
    if k.startswith("Heading"):
        return "heading"
    if k == "Item":
        return "list item"
    if b["row"]:
        return "table row"
    return {"Para": "paragraph", "Quote": "quote", "Pre": "code", "Caption": "caption"}.get(k, k.lower())


PATH_CLASSES = [
    ("comments", re.compile(r"comment|disqus|respond|discussion|reply", re.I)),
    ("author box / byline", re.compile(r"author|byline|\bbio\b|writer|contributor", re.I)),
    ("related / more links", re.compile(r"related|recommend|more-|read-?next|popular|trending|also", re.I)),
    ("share / social / subscribe", re.compile(r"share|social|newsletter|subscribe|signup|follow", re.I)),
    ("caption / credit", re.compile(r"caption|credit|figure|wp-caption|gallery|image|photo", re.I)),
    ("date / meta line", re.compile(r"\bdate|time|meta|posted|published|updated", re.I)),
    ("tags / categories", re.compile(r"\btags?\b|categor|breadcrumb|topic", re.I)),
    ("ad / promo / call to action", re.compile(r"\bad\b|ads|advert|promo|sponsor|cta|banner|affiliate", re.I)),
]
BYLINE = re.compile(r"^(by|written by|posted by|author:)\s", re.I)
DATE = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},?\s+\d{4}\b|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b", re.I)


def extra_class(b):
    """What an extra (kept, not in the label) block looks like."""
    t, path = b["text"], b["path"]
    last = " > ".join(path.split(" > ")[-3:])
    for name, r in PATH_CLASSES:
        if r.search(last):
            return name
    words = len(t.split())
    if BYLINE.search(t) or (words <= 12 and DATE.search(t)):
        return "author box / byline" if BYLINE.search(t) else "date / meta line"
    if b["chars"] and b["link_chars"] * 2 > b["chars"]:
        return "related / more links"
    k = block_kind(b)
    if k in ("heading", "list item", "table row", "code", "caption", "quote"):
        return k + " not in label"
    if words < 10:
        return "short line (label, button, boilerplate)"
    return "prose not in label"


def in_label(text, gold_sh, gold_short):
    """A block is the label's when half its shingles are in the label (a
    block of under four words: when its words occur there in a row)."""
    sh = shingles(text)
    if not sh:
        return False
    if len(sh) == 1 and len(sh[0]) < 4:
        return sh[0] in gold_short
    return sum(x in gold_sh for x in sh) * 2 >= len(sh)


def label_sets(g):
    gw = WORD.findall(g)
    gold_sh = set(tuple(gw[i:i + 4]) for i in range(len(gw) - 3)) if len(gw) >= 4 else {tuple(gw)}
    gold_short = set(tuple(gw[i:i + n]) for n in (1, 2, 3) for i in range(len(gw) - n + 1))
    return gold_sh, gold_short


def kept(b):
    """The final decision (rules and classifier) where the dump has it."""
    return b.get("kept", b["fate"] == "Kept")


def body_of(bl, keep):
    return "\n\n".join(("- " if b["kind"] == "Item" else "") + b["text"] for b, k in zip(bl, keep) if k)


def category(b, gold, wrong):
    """The cause a block's wrong decision is put down to, or None when right."""
    if kept(b) == gold:
        return None
    if gold:
        f = b["fate"] if b["fate"] != "Kept" else "the classifier"
        if f == "OutsideRoot":
            f = "outside the chosen element: wrong element" if wrong else "outside the chosen element: a sibling section"
        else:
            f = "dropped inside it: " + f
        return ("missing (recall)", f, block_kind(b))
    return ("extra (precision)", extra_class(b), "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("blocks")
    ap.add_argument("pred")
    ap.add_argument("dir", nargs="?", default=str(Path(__file__).resolve().parent.parent.parent / "shared/bench/extraction-wcxb"))
    ap.add_argument("--half", default="A")
    ap.add_argument("--below", type=float, default=0.95)
    ap.add_argument("--pages", action="store_true")
    a = ap.parse_args()
    truth = json.load(open(Path(a.dir) / "ground-truth.json"))
    pred = json.load(open(a.pred))
    blocks = {}
    for line in open(a.blocks):
        r = json.loads(line)
        blocks[r["id"]] = r["blocks"]
    ids = sorted(i for i in truth if half(i) == a.half)
    # Each block of each page: its decision, whether the label holds it, and
    # the cause of a wrong decision. The table's figure for a cause is what
    # the half's F1 gains when only that cause's blocks are decided as the
    # label would (the others as now): the points it costs.
    pages = {}
    n_recall = n_prec = 0
    for pid in ids:
        g = truth[pid].get("articleBody") or ""
        p = (pred.get(pid) or {}).get("articleBody") or ""
        P, R, F = page_f1(g, p)
        bl = blocks.get(pid, [])
        gold_sh, gold_short = label_sets(g)
        gold = [in_label(b["text"], gold_sh, gold_short) for b in bl]
        gkept = sum(b["chars"] for b, x in zip(bl, gold) if x and kept(b))
        gout = sum(b["chars"] for b, x in zip(bl, gold) if x and b["fate"] == "OutsideRoot")
        wrong = gout > gkept
        cats = [category(b, x, wrong) for b, x in zip(bl, gold)]
        pages[pid] = (g, bl, gold, cats, F)
        if F < a.below:
            if (1 - R) >= (1 - P):
                n_recall += 1
            else:
                n_prec += 1

    def half_f1(choose):
        pairs = []
        for pid in ids:
            g, bl, gold, cats, F = pages[pid]
            if F >= a.below:
                pairs.append((g, (pred.get(pid) or {}).get("articleBody") or ""))
                continue
            keep = [choose(b, x, c) for b, x, c in zip(bl, gold, cats)]
            pairs.append((g, body_of(bl, keep)))
        return shingle_f1(pairs)[2]

    base = half_f1(lambda b, x, c: kept(b))
    actual = shingle_f1([(pages[i][0], (pred.get(i) or {}).get("articleBody") or "") for i in ids])[2]
    oracle = half_f1(lambda b, x, c: x)
    under = [i for i in ids if pages[i][4] < a.below]
    print(f"half {a.half}: shingle F1 {actual:.4f} ({base:.4f} rebuilt from the blocks); {len(under)} pages under {a.below} "
          f"({n_recall} lose more recall, {n_prec} more precision). Every block of those pages decided as the label would: "
          f"{oracle:.4f} (the rest of the gap is text the label holds in another form or order, or that is not in the page's blocks)\n")
    counts, npages = Counter(), defaultdict(set)
    for pid in under:
        for b, c in zip(pages[pid][1], pages[pid][3]):
            if c:
                counts[c] += b["chars"]
                npages[c].add(pid)
    rows = []
    for c in counts:
        gain = half_f1(lambda b, x, cc, c=c: x if cc == c else kept(b)) - base
        rows.append((gain, c))
    rows.sort(key=lambda r: -r[0])
    print("| loss | rule that dropped it / what the kept block looks like | block kind | characters | pages | F1 points it costs |")
    print("|---|---|---|---|---|---|")
    rest = [0.0, 0, 0]
    for gain, c in rows:
        if gain * 100 < 0.03:
            rest[0] += gain
            rest[1] += counts[c]
            continue
        print(f"| {c[0]} | {c[1]} | {c[2]} | {counts[c]} | {len(npages[c])} | {100 * gain:.2f} |")
    print(f"| (smaller causes, each under 0.03 points) | | | {rest[1]} | | {100 * rest[0]:.2f} |")
    if a.pages:
        print()
        for pid in sorted(under, key=lambda i: pages[i][4]):
            g, bl, gold, cats, F = pages[pid]
            per = Counter()
            for b, c in zip(bl, cats):
                if c:
                    per[c[1] + ("/" + c[2] if c[2] else "")] += b["chars"]
            print(f"{pid} F1 {F:.3f}  " + "; ".join(f"{k} {v}" for k, v in per.most_common(3)))


if __name__ == "__main__":
    main()
