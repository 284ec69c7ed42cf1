#!/usr/bin/env python3
"""Scores the attribution dossier gives each sentence's claim (one source per
sentence, `crates/enrich/examples/sentence_attribution.rs`) against PolNeAR.

Of the sentences that hold the cue of a gold relation with a source, and for
which dossier names a source, it reports how often that source overlaps the
source of the sentence's dominant gold relation (the one whose content covers
most of the sentence), and how often it overlaps the source of any gold
relation cued in the sentence. The predicted source is located by its first
occurrence in the sentence.

    python3 scripts/score_sentence_attribution.py sent.tsv ../shared/bench/attribution/train
"""
import sys
from pathlib import Path

from score_attribution_subset import gold_for  # the same brat reader (first annotator is the gold)


def overlaps(a, b):
    return min(a[1], b[1]) > max(a[0], b[0])


def main():
    pred, split = sys.argv[1], Path(sys.argv[2])
    gold = {doc: [r for r in rels if {"cue", "source"} <= r.keys()] for doc, rels in gold_for(split).items()}
    texts = {}
    dominant = some = total = 0
    for line in open(pred, encoding="utf-8"):
        doc, s, e, source, _cue = line.rstrip("\n").split("\t")
        s, e = int(s), int(e)
        cued = [r for r in gold.get(doc, []) if s <= r["cue"][0] < e]
        if not cued:
            continue
        total += 1
        text = texts.setdefault(doc, (split / "text" / f"{doc}.txt").read_text(encoding="utf-8"))
        at = text[s:e].find(source)
        if at < 0:
            continue
        span = (s + at, s + at + len(source))
        main_rel = max(cued, key=lambda r: min(e, r["content"][1]) - max(s, r["content"][0]))
        dominant += overlaps(span, main_rel["source"])
        some += any(overlaps(span, r["source"]) for r in cued)
    print(f"sentences {total}  source = dominant gold source {dominant / total:.4f}  source = some gold source {some / total:.4f}")


if __name__ == "__main__":
    main()
