#!/usr/bin/env python3
"""Scores title, author and publish-date predictions against a ground truth
with those fields (../shared/bench/extraction-wcxb/ground-truth.json).

Usage: score_metadata.py PRED.json [PRED2.json ...] [--truth GT.json] [--half A|B|all] [--misses FIELD]

PRED.json maps page id -> {"title": str|null, "author": str|[str]|null,
"publish_date": "YYYY-MM-DD..."|null} (extra keys ignored; `dossier eval
extraction`, scripts/metadata_peers.py write this shape). Standard library only.

Exact-match rules (the same for every extractor):

* title: both sides NFKC-normalised, whitespace collapsed, case-folded, and
  typographic quotes/dashes mapped to ASCII. A match if equal. If not equal and
  the prediction has a trailing or leading site part (" | X", " - X", " – X",
  " — X", " :: X", " » X", " · X") that the truth lacks, the prediction with
  that part removed is compared once more (the truth never loses anything).
  Every page has a title in the truth, so title accuracy = correct / pages.
* author: each side split into names (on ",", ";", "|", "/", "&", " and ",
  a leading "By"), names normalised as titles and with periods dropped, and
  credentials of at most four capitals ("MS", "RD", "PhD") dropped. A match if
  the two *sets* of names are equal. Scored only on pages whose truth names an
  author: accuracy = correct / those pages; coverage = predicted / those
  pages; precision = correct / predicted. A prediction on a page whose truth
  has no author is counted apart ("spurious").
* publish_date: same calendar day (the first 10 characters, YYYY-MM-DD, of
  each side). Scored on pages whose truth has a date, as for authors; a date
  predicted where the truth has none is counted apart ("spurious").

Halves: a page id belongs to half A when the first byte of sha1(id) is even,
else to half B (fixed, independent of any extractor). Choose rules on A, check on B.
"""
import argparse
import hashlib
import json
import re
import sys
import unicodedata
from pathlib import Path

DEFAULT_TRUTH = Path(__file__).resolve().parent.parent.parent / "shared/bench/extraction-wcxb/ground-truth.json"
SEPS = [" | ", " - ", " – ", " — ", " :: ", " » ", " · ", " || "]
TRANS = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "–": "-", "—": "-", "\u00a0": " ", "…": "..."})


def half(pid):
    return "A" if hashlib.sha1(pid.encode()).digest()[0] % 2 == 0 else "B"


def norm_text(s):
    s = unicodedata.normalize("NFKC", s or "").translate(TRANS)
    return " ".join(s.split()).casefold()


def title_match(pred, gold):
    if not pred:
        return False
    p, g = norm_text(pred), norm_text(gold)
    if p == g:
        return True
    for sep in SEPS:
        sep = norm_text(sep.strip())
        parts = p.split(f" {sep} ")
        if len(parts) >= 2:
            # Drop the last part or the first part (the site), never from the truth.
            if f" {sep} ".join(parts[:-1]) == g or f" {sep} ".join(parts[1:]) == g:
                return True
    return False


def names(v):
    if v is None:
        return set()
    if isinstance(v, list):
        out = set()
        for x in v:
            out |= names(x)
        return out
    s = unicodedata.normalize("NFKC", str(v)).translate(TRANS)
    s = re.sub(r"(?i)^\s*(written\s+|posted\s+)?by:?\s+", "", s)
    out = set()
    for part in re.split(r",|;|\||/|&|\band\b|\bund\b|\bet\b|\by\b", s):
        part = re.sub(r"(?i)^\s*by:?\s+", "", part)
        part = " ".join(part.replace(".", " ").split()).strip()
        if not part:
            continue
        if len(part) <= 4 and part.replace(" ", "").isupper():
            continue  # credentials: MS, RD, PhD in capitals
        if part.casefold() in {"phd", "md", "rdn", "mph", "jr", "sr"}:
            continue
        out.add(part.casefold())
    return out


def day(v):
    if not v or not isinstance(v, str):
        return None
    m = re.match(r"\d{4}-\d{2}-\d{2}", v.strip())
    return m.group(0) if m else None


def score(pred, truth, ids):
    r = {"pages": len(ids)}
    t_ok = sum(title_match((pred.get(i) or {}).get("title"), truth[i]["title"]) for i in ids if truth[i].get("title"))
    t_n = sum(1 for i in ids if truth[i].get("title"))
    t_pred = sum(1 for i in ids if truth[i].get("title") and (pred.get(i) or {}).get("title"))
    r["title"] = (t_ok, t_pred, t_n, 0)
    for field, get, eq in (
        ("author", lambda p: names(p.get("author")), lambda a, b: a == b),
        ("publish_date", lambda p: day(p.get("publish_date")), lambda a, b: a == b),
    ):
        ok = predicted = n = spurious = 0
        for i in ids:
            g = truth[i].get(field)
            gv = names(g) if field == "author" else day(g)
            pv = get(pred.get(i) or {})
            if not gv:
                spurious += bool(pv)
                continue
            n += 1
            if pv:
                predicted += 1
                ok += eq(pv, gv)
        r[field] = (ok, predicted, n, spurious)
    return r


def fmt(r):
    out = []
    for f in ("title", "author", "publish_date"):
        ok, pr, n, sp = r[f]
        acc = ok / n if n else 0
        cov = pr / n if n else 0
        prec = ok / pr if pr else 0
        extra = f" spurious {sp}" if f != "title" else ""
        out.append(f"{f:<12} accuracy {acc:.3f} ({ok}/{n}) coverage {cov:.3f} precision {prec:.3f}{extra}")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("pred", nargs="+", type=Path)
    ap.add_argument("--truth", type=Path, default=DEFAULT_TRUTH)
    ap.add_argument("--half", choices=["A", "B", "all"], default=None, help="one half only (default: A, B and all)")
    ap.add_argument("--misses", choices=["title", "author", "publish_date"], help="print the misses of this field (first PRED)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    a = ap.parse_args()
    truth = json.loads(a.truth.read_text())
    all_ids = sorted(truth)
    halves = {"A": [i for i in all_ids if half(i) == "A"], "B": [i for i in all_ids if half(i) == "B"], "all": all_ids}
    which = [a.half] if a.half else ["A", "B", "all"]
    results = {}
    for p in a.pred:
        pred = json.loads(p.read_text())
        results[str(p)] = {h: score(pred, truth, halves[h]) for h in which}
    if a.misses:
        pred = json.loads(a.pred[0].read_text())
        ids = halves[which[0]]
        for i in ids:
            g, pv = truth[i].get(a.misses), (pred.get(i) or {}).get(a.misses)
            if a.misses == "title":
                bad = not title_match(pv, g)
            elif a.misses == "author":
                bad = bool(names(g) or names(pv)) and names(g) != names(pv)
            else:
                bad = bool(day(g) or day(pv)) and day(g) != day(pv)
            if bad:
                print(f"{i}\ttruth={g!r}\tpred={pv!r}\t{truth[i].get('url', '')[:80]}")
        return
    if a.json:
        print(json.dumps(results, indent=1))
        return
    for p, per in results.items():
        for h, r in per.items():
            print(f"== {p} half {h} ({r['pages']} pages)")
            for line in fmt(r):
                print("  " + line)
    # Last line: the headline, accuracy per field for the first file over all pages.
    r = results[str(a.pred[0])][which[-1]]
    acc = [r[f][0] / r[f][2] if r[f][2] else 0 for f in ("title", "author", "publish_date")]
    print(f"title {acc[0]:.3f} author {acc[1]:.3f} date {acc[2]:.3f}")


if __name__ == "__main__":
    sys.exit(main())
