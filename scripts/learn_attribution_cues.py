#!/usr/bin/env python3
"""Learns the verb-cue lexicon for attribution from PolNeAR train (never dev).

Usage: learn_attribution_cues.py TRAIN_DIR > crates/enrich/src/attribution_cues.tsv

For every word form that is, on its own, the whole cue of a gold attribution
("said", "wrote", "believes"), counts how often it is a cue and how often it
occurs at all; keeps forms seen as a cue at least MIN_CUE times and in at least
MIN_RATIO of their occurrences. Columns: form, cue count, occurrences.
"""
import collections
import re
import sys
from pathlib import Path

MIN_CUE, MIN_RATIO = 6, 0.4


def main():
    split = Path(sys.argv[1])
    seen = set()
    cue, occ = collections.Counter(), collections.Counter()
    for ann in sorted((split / "attributions").glob("*.ann")):
        doc = ann.stem.rsplit("_", 1)[0]
        if doc in seen:
            continue
        seen.add(doc)
        text = (split / "text" / f"{doc}.txt").read_text(encoding="utf-8")
        for line in ann.read_text(encoding="utf-8").splitlines():
            parts = line.split("\t")
            if len(parts) == 3 and parts[1].startswith("Cue "):
                offs = parts[1].split(" ", 1)[1].split(";")
                s, e = int(offs[0].split()[0]), int(offs[-1].split()[1])
                word = text[s:e].strip().lower()
                if re.fullmatch(r"[a-z]+", word):
                    cue[word] += 1
        for m in re.finditer(r"[A-Za-z]+", text):
            occ[m.group().lower()] += 1
    rows = [(w, c, occ[w]) for w, c in cue.items() if c >= MIN_CUE and c / occ[w] >= MIN_RATIO]
    rows.sort(key=lambda r: (-r[1], r[0]))
    print("# form\tcue\toccurrences  (learned from PolNeAR train by scripts/learn_attribution_cues.py)")
    for w, c, o in rows:
        print(f"{w}\t{c}\t{o}")


if __name__ == "__main__":
    main()
