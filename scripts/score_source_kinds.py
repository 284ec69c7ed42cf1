#!/usr/bin/env python3
"""Kind accuracy of attribution sources against a hand-labelled sample.

Usage:
  score_source_kinds.py PREDICTIONS.jsonl LABELS.json

PolNeAR labels no source kinds, so two samples of source spans were labelled
by hand (blind to the predicted kinds): scripts/data/source-kinds-train.json
(80 spans of train predictions, seed 19; the rules were developed on it) and
scripts/data/source-kinds-dev.json (60 of dev, seed 7; scored once). Each
label is {doc, start, end, kind} with kind person, organisation,
government_body, publication, document, unnamed (anonymous or a group), or X
(not a source at all: skipped). A label is matched by the first predicted
relation whose source span overlaps it; no prediction counts as wrong. The
last line is "accuracy <share>".
"""
import json
import sys


def main():
    pred = {}
    for line in open(sys.argv[1], encoding="utf-8"):
        d = json.loads(line)
        pred[d["doc"]] = d["attributions"]
    labels = [r for r in json.load(open(sys.argv[2], encoding="utf-8")) if r["kind"] != "X"]
    ok = 0
    confusion = {}
    for r in labels:
        hits = [a for a in pred.get(r["doc"], []) if a.get("source") and a["source"][0] < r["end"] and r["start"] < a["source"][1]]
        got = hits[0].get("kind") if hits else None
        ok += got == r["kind"]
        if got != r["kind"]:
            confusion[(r["kind"], got)] = confusion.get((r["kind"], got), 0) + 1
    for (want, got), n in sorted(confusion.items(), key=lambda x: -x[1]):
        print(f"  {want} -> {got}: {n}")
    print(f"labelled {len(labels)}  right {ok}")
    print(f"accuracy {ok / len(labels):.4f}")


if __name__ == "__main__":
    main()
