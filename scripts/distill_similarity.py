#!/usr/bin/env python3
"""Silver pairs for teaching one bi-encoder what the similarity blend knows
(the AugSBERT recipe), and their scores by a teacher. Tried in issue 19,
point 3, and not shipped: the student ranked held-out pairs worse than the
bi-encoder tuned on the human scores alone (BENCHMARKS.md, "One bi-encoder
taught by the blend").

    # each training sentence with its --k nearest neighbours (published MiniLM) and random partners;
    # with --holdout K/N no sentence of a fold-K pair is used (same folds as tune_similarity.py)
    python3 scripts/distill_similarity.py pairs --train stsb-news-train.tsv --model MODEL --holdout 0/5 --out silver.tsv
    # the teacher: a weighted mean of tuned adapters (WEIGHT:FILE), written as a labelled TSV
    python3 scripts/distill_similarity.py label --pairs silver.tsv --model MODEL \
        --adapter 0.25:cross.safetensors --adapter 0.75:bi.safetensors --out silver-scored.tsv
    # the student: the human pairs plus the scored silver pairs, each batched on its own
    python3 scripts/tune_similarity.py --kind bi --full --rate 1e-4 --rank 32 --train stsb-news-train.tsv \
        --extra silver-scored.tsv --model MODEL --holdout 0/5 --predictions student.tsv

Needs torch and transformers (pip); CPU is enough. Not part of the test run.
"""
import argparse, os, random, sys, time

import torch
from transformers import BertModel, BertTokenizerFast

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tune_similarity as ts  # noqa: E402


def fold_sentences(pairs, holdout):
    """The sentences of fold K's pairs (of N, tune_similarity.py's shuffle)."""
    if not holdout:
        return set()
    k, n = map(int, holdout.split("/"))
    order = list(range(len(pairs)))
    random.Random(12345).shuffle(order)
    return {s for i in order[k::n] for s in pairs[i][:2]}


def embed(model_dir, sentences):
    tok = BertTokenizerFast.from_pretrained(model_dir)
    bert = BertModel.from_pretrained(model_dir, add_pooling_layer=False).eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(sentences), 128):
            enc = tok(sentences[i:i + 128], padding=True, truncation=True, max_length=128, return_tensors="pt")
            h = bert(**enc).last_hidden_state
            m = enc["attention_mask"].unsqueeze(-1).float()
            out.append(torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1))
    return torch.cat(out)


def pairs_cmd(a):
    pairs = ts.read(a.train)
    banned = fold_sentences(pairs, a.holdout)
    human = {(p[0], p[1]) for p in pairs} | {(p[1], p[0]) for p in pairs}
    sentences = sorted({s for p in pairs for s in p[:2]} - banned)
    v = embed(a.model, sentences)
    rnd = random.Random(1)
    chosen = set()
    for i in range(0, len(sentences), 512):
        for r, row in enumerate((v[i:i + 512] @ v.t()).topk(a.k + 1, dim=1).indices.tolist()):
            chosen.update((min(i + r, j), max(i + r, j)) for j in row if j != i + r)
    for s in range(len(sentences)):
        if rnd.random() < a.random:
            j = rnd.randrange(len(sentences))
            if j != s:
                chosen.add((min(s, j), max(s, j)))
    rows = [(sentences[x], sentences[y]) for x, y in sorted(chosen)
            if (sentences[x], sentences[y]) not in human and sentences[x].strip().lower() != sentences[y].strip().lower()]
    rnd.shuffle(rows)
    with open(a.out, "w") as f:
        f.write("score\tsentence1\tsentence2\n")
        f.writelines(f"0\t{x}\t{y}\n" for x, y in rows)
    print(f"{len(sentences)} sentences, {len(rows)} silver pairs", file=sys.stderr)


def label_cmd(a):
    pairs = ts.read(a.pairs)
    tok = BertTokenizerFast.from_pretrained(a.model)
    total, weights = [0.0] * len(pairs), 0.0
    for spec in a.adapter:
        w, path = spec.split(":", 1)
        t0 = time.time()
        scores = ts.predict(ts.load_adapter(path, a.model), tok, pairs, 128)
        print(f"{path}: {len(pairs)} pairs in {time.time() - t0:.0f}s", file=sys.stderr, flush=True)
        total = [t + float(w) * s for t, s in zip(total, scores)]
        weights += float(w)
    with open(a.out, "w") as f:
        f.write("score\tsentence1\tsentence2\n")
        f.writelines(f"{t / weights:.4f}\t{x}\t{y}\n" for (x, y, _), t in zip(pairs, total))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pairs", help="silver pairs from the training sentences")
    p.add_argument("--train", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--holdout", help="K/N: use no sentence of fold K's pairs")
    p.add_argument("--k", type=int, default=3, help="nearest neighbours per sentence")
    p.add_argument("--random", type=float, default=0.5, help="share of sentences that also get a random partner")
    p.add_argument("--out", required=True)
    l = sub.add_parser("label", help="score pairs with a teacher")
    l.add_argument("--pairs", required=True)
    l.add_argument("--model", required=True)
    l.add_argument("--adapter", action="append", required=True, help="WEIGHT:FILE, once per adapter")
    l.add_argument("--out", required=True)
    a = ap.parse_args()
    (pairs_cmd if a.cmd == "pairs" else label_cmd)(a)


if __name__ == "__main__":
    main()
