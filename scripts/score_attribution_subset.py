#!/usr/bin/env python3
"""Score attribution predictions on the reported-speech and according-to subset.

Usage:
  score_attribution_subset.py PREDICTIONS.jsonl SPLIT_DIR [--all]

Same matching and figures as ../shared/bench/attribution/score.py (content
spans overlapping by at least half their union, one-to-one, best overlap
first; full relation = content matched and source overlapping, or both
without source), but BOTH gold and predicted relations are first restricted
to those whose cue is reported speech: the cue text contains "according to",
or one of its words is a speech or reporting verb form listed in
crates/enrich/src/speech_cues.txt (say, tell, add, write, report, note,
announce, state, claim, argue, warn, explain, insist, ... in all inflections).
Gold relations without a cue are outside the subset.

--all skips the restriction (the same figures as score.py; this reader also
accepts brat files whose span text runs over several lines, as a few in
train/ do). The last line is "F1 <full-relation F1>".
"""
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SPEECH = {w for line in (ROOT / "crates/enrich/src/speech_cues.txt").read_text(encoding="utf-8").splitlines()
          if not line.startswith("#") for w in line.split()}


def is_speech_cue(cue):
    cue = cue.lower()
    return "according to" in cue or any(w in SPEECH for w in re.split(r"[^a-z]+", cue))


def gold_for(split):
    gold = {}
    for ann in sorted((split / "attributions").glob("*.ann")):
        doc = ann.stem.rsplit("_", 1)[0]
        if doc in gold:
            continue
        spans, rels = {}, []
        for line in ann.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t", 2)
            if line.startswith("T") and len(parts) == 3:
                kind, offs = parts[1].split(" ", 1)
                ps = [tuple(map(int, p.split())) for p in offs.split(";")]
                spans[parts[0]] = (kind, (ps[0][0], ps[-1][1]))
            elif line.startswith("E") and len(parts) >= 2:
                roles = dict(a.split(":") for a in parts[1].split())
                rel = {r.lower(): spans[t][1] for r, t in roles.items() if t in spans}
                if "content" in rel:
                    rels.append(rel)
        gold[doc] = rels
    return gold


def overlap(a, b):
    if not a or not b:
        return 0.0
    inter = max(0, min(a[1], b[1]) - max(a[0], b[0]))
    union = max(a[1], b[1]) - min(a[0], b[0])
    return inter / union if union else 0.0


def prf(hit, n_pred, n_gold):
    p = hit / n_pred if n_pred else 0.0
    r = hit / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main():
    args = [a for a in sys.argv[1:] if a != "--all"]
    restrict = "--all" not in sys.argv
    if len(args) != 2:
        print(__doc__)
        return 2
    split = Path(args[1])
    gold = gold_for(split)
    pred = {}
    for line in Path(args[0]).read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            pred[row["doc"]] = row.get("attributions", [])
    n_gold = n_pred = matched = full = 0
    for doc, rels in gold.items():
        text = (split / "text" / f"{doc}.txt").read_text(encoding="utf-8")
        cue_of = lambda r: text[r["cue"][0]:r["cue"][1]] if r.get("cue") else ""
        preds = [p for p in pred.get(doc, []) if p.get("content")]
        if restrict:
            rels = [g for g in rels if is_speech_cue(cue_of(g))]
            preds = [p for p in preds if is_speech_cue(cue_of(p))]
        n_gold += len(rels)
        n_pred += len(preds)
        pairs = sorted(((overlap(g["content"], p["content"]), gi, pi)
                        for gi, g in enumerate(rels) for pi, p in enumerate(preds)), reverse=True)
        used_g, used_p = set(), set()
        for ov, gi, pi in pairs:
            if ov < 0.5:
                break
            if gi in used_g or pi in used_p:
                continue
            used_g.add(gi)
            used_p.add(pi)
            matched += 1
            gs, ps = rels[gi].get("source"), preds[pi].get("source")
            full += (gs is None and ps is None) or overlap(gs, ps) > 0
    p, r, f = prf(matched, n_pred, n_gold)
    fp, fr, ff = prf(full, n_pred, n_gold)
    print(f"subset {'reported speech and according to' if restrict else 'all'}  documents {len(gold)}  gold {n_gold}  predicted {n_pred}")
    print(f"content precision {p:.4f}  recall {r:.4f}  F1 {f:.4f}")
    print(f"full relation precision {fp:.4f}  recall {fr:.4f}")
    print(f"F1 {ff:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
