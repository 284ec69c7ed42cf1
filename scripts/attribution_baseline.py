#!/usr/bin/env python3
"""Naive regex attribution baseline, for comparison with `dossier eval attribution`.

Usage: attribution_baseline.py SPLIT_DIR > baseline.jsonl
       attribution_baseline.py SPLIT_DIR --passes N     (speed only: texts in memory, one thread)

One attribution per sentence (split at [.!?] followed by a space) that holds a
reporting verb or "according to": the cue is the first match, the source the
capitalised or pronoun word run just before the verb (or after "according
to"), the content the whole sentence. No quotation handling.
"""
import json
import re
import sys
import time
from pathlib import Path

CUE = re.compile(r"\b(according to|said|says|say|told|tells|added|reported|reports|wrote|writes|announced|claimed|argued|noted|warned|stated)\b")
SRC_BEFORE = re.compile(r"((?:[A-Z][\w.’'-]*\s+)*[A-Z][\w.’'-]*|\b(?:he|she|they|officials|sources))\s+$")
SRC_AFTER = re.compile(r"^\s*((?:the\s+|a\s+)?(?:[A-Z][\w.’'-]*\s*)+)")


def attributions(text):
    rels = []
    for m in re.finditer(r"[^.!?\n]+[.!?]?", text):
        sent = m.group()
        c = CUE.search(sent)
        if not c:
            continue
        s0 = m.start()
        src = None
        if c.group(1) == "according to":
            a = SRC_AFTER.match(sent[c.end():])
            if a:
                src = [s0 + c.end() + a.start(1), s0 + c.end() + a.end(1)]
        else:
            b = SRC_BEFORE.search(sent[:c.start()])
            if b:
                src = [s0 + b.start(1), s0 + b.end(1)]
        lead = len(sent) - len(sent.lstrip())
        rels.append({"source": src, "cue": [s0 + c.start(), s0 + c.end()], "content": [s0 + lead, m.end()]})
    return rels


def main():
    split = Path(sys.argv[1])
    paths = sorted((split / "text").glob("*.txt"))
    if "--passes" in sys.argv:
        texts = [p.read_text(encoding="utf-8") for p in paths]
        times = []
        for _ in range(int(sys.argv[sys.argv.index("--passes") + 1])):
            t = time.perf_counter()
            for text in texts:
                attributions(text)
            times.append(time.perf_counter() - t)
        median = sorted(times)[len(times) // 2]
        print(f"{len(texts)} documents; median pass {median:.3f} s: {len(texts) / median:.0f} documents/s")
        return
    for path in paths:
        print(json.dumps({"doc": path.stem, "attributions": attributions(path.read_text(encoding="utf-8"))}))


if __name__ == "__main__":
    main()
