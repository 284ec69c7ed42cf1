#!/usr/bin/env python3
"""Naive regex attribution baseline, for comparison with `dossier eval attribution`.

Usage: attribution_baseline.py SPLIT_DIR > baseline.jsonl

One attribution per sentence (split at [.!?] followed by a space) that holds a
reporting verb or "according to": the cue is the first match, the source the
capitalised or pronoun word run just before the verb (or after "according
to"), the content the whole sentence. No quotation handling.
"""
import json
import re
import sys
from pathlib import Path

CUE = re.compile(r"\b(according to|said|says|say|told|tells|added|reported|reports|wrote|writes|announced|claimed|argued|noted|warned|stated)\b")
SRC_BEFORE = re.compile(r"((?:[A-Z][\w.’'-]*\s+)*[A-Z][\w.’'-]*|\b(?:he|she|they|officials|sources))\s+$")
SRC_AFTER = re.compile(r"^\s*((?:the\s+|a\s+)?(?:[A-Z][\w.’'-]*\s*)+)")


def main():
    split = Path(sys.argv[1])
    for path in sorted((split / "text").glob("*.txt")):
        text = path.read_text(encoding="utf-8")
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
        print(json.dumps({"doc": path.stem, "attributions": rels}))


if __name__ == "__main__":
    main()
