#!/usr/bin/env python3
"""Cross-validates tuning settings of scripts/tune_similarity.py: each
setting (a name and the extra arguments it gives the tuning script) is run
for every fold K of --folds on the training pairs (--holdout K/N, so each
pair is predicted once by a run that never saw it) and for each seed, several
runs at a time (--jobs; meant for a GPU machine, --device cuda). Every
held-out prediction goes to --out as 'setting<TAB>seed<TAB>fold<TAB>pair
index<TAB>prediction' rows (a full-weight run also writes the rows of its
uncut weights, under the setting's name plus '+uncut'), appended as runs end,
so a run stopped at --deadline still leaves what it finished. Choose settings
on these rows (e.g. Spearman over all training pairs), never on the dev pairs.

    python3 scripts/sweep_similarity.py --train stsb-news-train.tsv --model MODEL_DIR \\
        --setting 'bi=--kind bi' --setting 'bi-full=--kind bi --full --rate 3e-5 --rank 32' \\
        --seeds 7,8 --folds 5 --jobs 8 --device cuda --out sweep.tsv
"""
import argparse, os, subprocess, sys, tempfile, time
from concurrent.futures import ThreadPoolExecutor


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--setting", action="append", required=True, help="NAME[@SEEDS]=EXTRA ARGUMENTS (in priority order; SEEDS like 7,8 overrides --seeds)")
    ap.add_argument("--seeds", default="7,8")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--deadline", type=float, default=0, help="seconds after which no run starts (0: none)")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    tasks = []
    for s in a.setting:
        name, _, extra = s.partition("=")
        name, _, seeds = name.partition("@")
        for seed in (seeds or a.seeds).split(","):
            for k in range(a.folds):
                tasks.append((name, extra.split(), int(seed), k))
    t0 = time.time()
    tmp = tempfile.mkdtemp()
    done = []

    def run(task):
        name, extra, seed, k = task
        if a.deadline and time.time() - t0 > a.deadline:
            return f"skipped {name} seed {seed} fold {k}"
        pred = os.path.join(tmp, f"{name}-{seed}-{k}.tsv")
        started = time.time()
        cmd = [sys.executable, os.path.join(here, "tune_similarity.py"), "--train", a.train, "--model", a.model, "--seed", str(seed),
               "--holdout", f"{k}/{a.folds}", "--predictions", pred, "--device", a.device] + extra
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            return f"FAILED {name} seed {seed} fold {k}: {r.stderr[-800:]}"
        rows = []
        for suffix, label in (("", name), (".full", name + "+uncut")):
            if os.path.exists(pred + suffix):
                with open(pred + suffix) as f:
                    rows += [f"{label}\t{seed}\t{k}\t{line}" for line in f.read().splitlines()]
        with open(a.out, "a") as f:
            f.write("\n".join(rows) + "\n")
        done.append(task)
        last = r.stderr.strip().splitlines()[-1] if r.stderr.strip() else ""
        return f"{name} seed {seed} fold {k}: {time.time() - started:.0f}s ({time.time() - t0:.0f}s in all) {last}"

    with ThreadPoolExecutor(a.jobs) as pool:
        for line in pool.map(run, tasks):
            print(line, flush=True)
    print(f"{len(done)} of {len(tasks)} runs in {time.time() - t0:.0f}s", flush=True)


if __name__ == "__main__":
    main()
