#!/usr/bin/env python3
"""Source-span P/R/F1 of attribution predictions against PolNeAR, apart from content.

Usage:
  score_source_spans.py PREDICTIONS.jsonl SPLIT_DIR

Gold: every distinct source span of the first annotator's relations (as
score.py reads them). Predicted: every distinct source span of the predicted
relations (`dossier eval attribution -o`). A predicted span matches a gold
one when they overlap by at least half their union (one-to-one, best overlap
first) -- so "The New York Times has not independently" does not match "The
New York Times" when the extra words are as long as the name. Also reported:
exact matches (same start and end, both trimmed of spaces and commas). The
last line is "F1 <source-span F1>".
"""
import json
import sys
from pathlib import Path

from score_attribution_subset import gold_for, overlap


def main():
    pred_path, split = sys.argv[1], Path(sys.argv[2])
    gold = gold_for(split)
    pred = {}
    for line in open(pred_path, encoding="utf-8"):
        d = json.loads(line)
        pred[d["doc"]] = d["attributions"]
    tp = n_gold = n_pred = exact = 0
    for doc, rels in gold.items():
        text = (split / "text" / f"{doc}.txt").read_text(encoding="utf-8")

        def trim(s):
            a, b = s
            while a < b and text[a] in " ,":
                a += 1
            while b > a and text[b - 1] in " ,":
                b -= 1
            return (a, b)

        g = sorted({trim(tuple(r["source"])) for r in rels if r.get("source")})
        p = sorted({trim(tuple(a["source"])) for a in pred.get(doc, []) if a.get("source")})
        n_gold += len(g)
        n_pred += len(p)
        pairs = sorted(((overlap(x, y), i, j) for i, x in enumerate(p) for j, y in enumerate(g)), reverse=True)
        used_p, used_g = set(), set()
        for o, i, j in pairs:
            if o < 0.5:
                break
            if i in used_p or j in used_g:
                continue
            used_p.add(i)
            used_g.add(j)
            tp += 1
            exact += p[i] == g[j]
    prec = tp / n_pred if n_pred else 0.0
    rec = tp / n_gold if n_gold else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    print(f"source spans: gold {n_gold}  predicted {n_pred}  matched {tp}  exact {exact}")
    print(f"precision {prec:.4f}  recall {rec:.4f}")
    print(f"F1 {f1:.4f}")


if __name__ == "__main__":
    main()
