#!/usr/bin/env python3
"""Fixed two-way split of a benchmark's page ids, and scores by half.

A page is in half A when the first byte of sha256("wcxb-split:" + id) is
even, else in half B. Rules and thresholds are chosen on one half and checked
on the other.

Usage:
  wcxb_split.py ids DIR A|B                     print the ids of one half
  wcxb_split.py score PRED.json [DIR] [--worst N --half A] [--lang]
      shingle F1 (the benchmark's score.py metric) and word F1 (WCXB's
      score_words.py metric) for half A, half B and the whole set; with
      --lang, by language (the ground truth's, else the prediction's
      "language" field); with --worst, the lowest pages of a half.
"""
import argparse, hashlib, json, re, sys
from collections import Counter, defaultdict
from pathlib import Path

WORD = re.compile(r"\w+", re.UNICODE)


def half(page_id):
    return "A" if hashlib.sha256(("wcxb-split:" + page_id).encode()).digest()[0] % 2 == 0 else "B"


def shingle_counts(gold, pred, n=4):
    def sh(t):
        w = WORD.findall(t or "")
        if len(w) < n:
            return Counter([tuple(w)] if w else [])
        return Counter(tuple(w[i:i + n]) for i in range(len(w) - n + 1))
    t, p = sh(gold), sh(pred)
    tp, fp, fn = sum((t & p).values()), sum((p - t).values()), sum((t - p).values())
    tot = tp + fp + fn
    return (tp / tot, fp / tot, fn / tot) if tot else (0.0, 0.0, 0.0)


def shingle_f1(pairs):
    ps, rs = [], []
    for g, p in pairs:
        tp, fp, fn = shingle_counts(g, p)
        if tp + fp > 0:
            ps.append(1.0 if fp == 0 and fn == 0 else tp / (tp + fp))
        if tp + fn > 0:
            rs.append(1.0 if fp == 0 and fn == 0 else tp / (tp + fn))
    P = sum(ps) / len(ps) if ps else 0.0
    R = sum(rs) / len(rs) if rs else 0.0
    return P, R, (2 * P * R / (P + R) if P + R else 0.0)


def word_f1_page(g, p):
    r = Counter(WORD.findall((g or "").lower()))
    q = Counter(WORD.findall((p or "").lower()))
    if not r:
        return 1.0 if not q else 0.0
    if not q:
        return 0.0
    o = sum((q & r).values())
    pr, rc = o / sum(q.values()), o / sum(r.values())
    return 2 * pr * rc / (pr + rc) if pr + rc else 0.0


def page_f1(g, p):
    tp, fp, fn = shingle_counts(g, p)
    P = 1.0 if fp == 0 and fn == 0 else (tp / (tp + fp) if tp + fp else 0.0)
    R = 1.0 if fp == 0 and fn == 0 else (tp / (tp + fn) if tp + fn else 0.0)
    return P, R, (2 * P * R / (P + R) if P + R else 0.0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("cmd", choices=["ids", "score"])
    ap.add_argument("arg")
    ap.add_argument("dir", nargs="?", default=str(Path(__file__).resolve().parent.parent.parent / "shared/bench/extraction-wcxb"))
    ap.add_argument("which", nargs="?")
    ap.add_argument("--worst", type=int, default=0)
    ap.add_argument("--half", default="A")
    ap.add_argument("--lang", action="store_true")
    a = ap.parse_args()
    if a.cmd == "ids":
        truth = json.load(open(Path(a.arg) / "ground-truth.json"))
        for k in truth:
            if half(k) == a.dir:
                print(k)
        return
    truth = json.load(open(Path(a.dir) / "ground-truth.json"))
    pred = json.load(open(a.arg))
    if set(pred) == {"version", "output"}:
        pred = pred["output"]
    body = lambda k: (pred.get(k) or {}).get("articleBody", "") or ""
    groups = {"A": [], "B": [], "all": []}
    for k in truth:
        groups[half(k)].append(k)
        groups["all"].append(k)
    for name, ids in groups.items():
        P, R, F = shingle_f1([(truth[k]["articleBody"], body(k)) for k in ids])
        W = sum(word_f1_page(truth[k]["articleBody"], body(k)) for k in ids) / max(1, len(ids))
        print(f"{name:>4} pages {len(ids):4d}  shingle P {P:.4f} R {R:.4f} F1 {F:.4f}  word F1 {W:.4f}")
    if a.lang:
        by = defaultdict(list)
        for k in truth:
            lang = truth[k].get("language") or (pred.get(k) or {}).get("language") or "?"
            by[lang].append(k)
        for lang, ids in sorted(by.items(), key=lambda x: -len(x[1])):
            _, _, F = shingle_f1([(truth[k]["articleBody"], body(k)) for k in ids])
            W = sum(word_f1_page(truth[k]["articleBody"], body(k)) for k in ids) / len(ids)
            na = sum(half(k) == "A" for k in ids)
            print(f"lang {lang:>4} pages {len(ids):4d} (A {na:3d})  shingle F1 {F:.4f}  word F1 {W:.4f}")
    if a.worst:
        rows = []
        for k in groups[a.half]:
            P, R, F = page_f1(truth[k]["articleBody"], body(k))
            rows.append((F, P, R, k))
        rows.sort()
        for F, P, R, k in rows[: a.worst]:
            print(f"{k} F1 {F:.3f} P {P:.3f} R {R:.3f}  gold {len(truth[k]['articleBody'])} pred {len(body(k))}  {truth[k].get('url','')[:70]}")


if __name__ == "__main__":
    main()
