#!/usr/bin/env bash
# End-to-end engine benchmark (issue 18): `dossier ingest SET.jsonl --data
# <fresh dir>` until the stories, claims and briefs are written, with the
# embedding model (--embeddings on) and without it (--embeddings off), for a
# baseline binary and this checkout's release binary, in the same run.
# Reports articles/s, CPU seconds and peak RSS (/usr/bin/time -v), the ratios
# branch/baseline, what the analysis made (stories with two or more outlets,
# aligned claims by status, sentence pairs the model scored) and how the
# aligned claims differ between the two binaries. "pairs" counts the sentence
# pairs the model scored (stored scores), "cross" those that also went
# through the cross-encoders (from the scorer's debug log).
#
# Usage: scripts/bench-engine.sh [SET.jsonl]
#   SET       default target/bench-fulltext/events-300.jsonl (100 events, each
#             told by three outlets), made by scripts/make_fulltext_events.py
#             when missing (needs ../shared); target/bench-fulltext/fulltext-300.jsonl
#             (scripts/make_fulltext_bench.py) is the older PolNeAR set.
#             When SET.truth.json ({url: event}) sits beside it, the stories
#             are scored against it (B-cubed F1, ../shared/bench/stories/score.py).
#   BASELINE  baseline binary (default /work/bin/dossier-main: today's main)
#   BRANCH    binary under test (default target/release/dossier, built here)
#   MODES     "on off" (default), or one of them
#   BINARIES  "baseline branch" (default), or one of them; a skipped
#             binary's earlier figures in the output folder are reused
#   DOSSIER_MODEL  the model folder (default models/all-minilm-l6-v2; fetched
#             with `dossier model fetch` when missing)
# Output: target/bench-engine/<set>/{<binary>-<mode>.time,.log,data/,claims.json},
# and a table on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."
SET="${1:-target/bench-fulltext/events-300.jsonl}"
BASELINE="${BASELINE:-/work/bin/dossier-main}"
BRANCH="${BRANCH:-target/release/dossier}"
MODES="${MODES:-on off}"
BINARIES="${BINARIES:-baseline branch}"
export DOSSIER_MODEL="${DOSSIER_MODEL:-$PWD/models/all-minilm-l6-v2}"
if [ ! -f "$SET" ]; then
    case "$(basename "$SET")" in
        events-*) python3 scripts/make_fulltext_events.py "$SET" "${SET%.jsonl}.truth.json" ;;
        *) python3 scripts/make_fulltext_bench.py "$SET" ;;
    esac
fi
if [[ " $BINARIES " == *" branch "* ]] && [ "$BRANCH" = target/release/dossier ]; then
    cargo build --release -q -p dossier-cli
fi
"$BRANCH" model fetch --dir "$DOSSIER_MODEL" >/dev/null 2>&1 || "$BASELINE" model fetch --dir "$DOSSIER_MODEL" >/dev/null
OUT="target/bench-engine/$(basename "$SET" .jsonl)"
mkdir -p "$OUT"
n=$(wc -l <"$SET")
for mode in $MODES; do
    for who in $BINARIES; do
        bin=$BASELINE
        [ "$who" = branch ] && bin=$BRANCH
        data="$OUT/$who-$mode.data"
        rm -rf "$data"
        echo "== $who ($bin), --embeddings $mode, $n articles" >&2
        DOSSIER_LOG=dossier_similarity=debug /usr/bin/time -v -o "$OUT/$who-$mode.time" "$bin" ingest "$SET" --data "$data" --embeddings "$mode" >"$OUT/$who-$mode.log" 2>&1 || {
            echo "$who --embeddings $mode failed:" >&2
            tail "$OUT/$who-$mode.log" >&2
            exit 1
        }
    done
done
python3 - "$OUT" "$n" "${SET%.jsonl}.truth.json" <<'PY'
import json, os, re, sqlite3, subprocess, sys, tempfile
from collections import Counter
out, n, truth_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
truth = json.load(open(truth_path)) if os.path.exists(truth_path) else None

def bcubed(db, url):
    """B-cubed F1 of the stories against the set's events (by url), or None without a truth file."""
    if truth is None:
        return None
    pred = {}
    for (j,) in db.execute("SELECT json FROM stories"):
        s = json.loads(j)
        for a in s["article_ids"]:
            if url.get(a) in truth:
                pred[url[a]] = s["id"]
    for u in truth:
        pred.setdefault(u, "alone-" + u)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(pred, f)
    score = os.path.join("..", "shared", "bench", "stories", "score.py")
    last = subprocess.run(["python3", score, f.name, truth_path], capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    return float(last.split()[-1])

def timing(path):
    t = open(path).read()
    g = lambda k: re.search(re.escape(k) + r":\s*(.+)", t).group(1).strip()
    wall = 0.0
    for part in g("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":"):
        wall = wall * 60 + float(part)
    return wall, float(g("User time (seconds)")) + float(g("System time (seconds)")), int(g("Maximum resident set size (kbytes)")) / 1024

def analysis(data):
    db = sqlite3.connect(f"file:{data}/dossier.sqlite?mode=ro", uri=True)
    url = dict(db.execute("SELECT id, coalesce(url, id) FROM articles"))
    multi = sum(1 for (j,) in db.execute("SELECT json FROM stories") if len(json.loads(j)["outlets"]) >= 2)
    stories = db.execute("SELECT count(*) FROM stories").fetchone()[0]
    status, aligned = Counter(), set()
    for st, j in db.execute("SELECT status, json FROM aligned_claims"):
        c = json.loads(j)
        status[st] += 1
        if len(c["outlets"]) >= 2:
            aligned.add(frozenset((url[m["article_id"]], m["sentence"]) for m in c["members"]))
    pairs = db.execute("SELECT count(*) FROM meaning_scores").fetchone()[0]
    # The scorer's debug lines: "cross-encoder on X of Y pairs" (before the
    # blend without it), then "encoders on X of Y pairs ... cross_encoder=BOOL".
    log = re.sub(r"\x1b\[[0-9;]*m", "", open(data[:-5] + ".log", errors="replace").read())
    cross = sum(int(m.group(1)) for m in re.finditer(r"cross-encoder on (\d+) of \d+ pairs", log))
    cross += sum(int(m.group(1)) for m in re.finditer(r"encoders on (\d+) of \d+ pairs.*cross_encoder=true", log))
    return {"stories": stories, "multi": multi, "status": status, "aligned": aligned, "pairs": pairs, "cross": cross, "f1": bcubed(db, url)}

rows = {}
for f in sorted(os.listdir(out)):
    if f.endswith(".time") and "Exit status" in open(os.path.join(out, f)).read():
        who, mode = f[:-5].rsplit("-", 1)
        rows[(who, mode)] = timing(os.path.join(out, f)) + (analysis(os.path.join(out, f"{who}-{mode}.data")),)
print(f"{n} articles ({out})")
print(f"{'binary':9} {'model':5} {'wall s':>8} {'art/s':>8} {'CPU s':>8} {'CPU ms/art':>10} {'peak MB':>8} {'stories':>7} {'2+ outl':>7} {'aligned':>7} {'corrob':>6} {'contest':>7} {'pairs':>7} {'cross':>6} {'F1':>6}")
for (who, mode), (wall, cpu, rss, a) in sorted(rows.items(), key=lambda kv: (kv[0][1] == "off", kv[0][0] != "baseline")):
    print(f"{who:9} {mode:5} {wall:8.2f} {n / wall:8.2f} {cpu:8.2f} {1000 * cpu / n:10.1f} {rss:8.0f} {a['stories']:7} {a['multi']:7} {len(a['aligned']):7} {a['status']['corroborated']:6} {a['status']['contested']:7} {a['pairs']:7} {a['cross']:6} {a['f1'] if a['f1'] is not None else '-':>6}")
for mode in ("on", "off"):
    if ("baseline", mode) in rows and ("branch", mode) in rows:
        (bw, bc, br, ba), (w, c, r, a) = rows[("baseline", mode)], rows[("branch", mode)]
        print(f"model {mode}: branch/baseline speed x{bw / w:.2f} (articles/s), CPU x{c / bc:.3f}, peak RSS x{r / br:.2f}; "
              f"aligned claims (2+ outlets) {len(ba['aligned'])} -> {len(a['aligned'])}: {len(ba['aligned'] & a['aligned'])} the same, "
              f"{len(ba['aligned'] - a['aligned'])} only in baseline, {len(a['aligned'] - ba['aligned'])} only in branch; "
              f"corroborated {ba['status']['corroborated']} -> {a['status']['corroborated']}, contested {ba['status']['contested']} -> {a['status']['contested']}")
        json.dump({"only_baseline": [sorted(map(list, s)) for s in ba["aligned"] - a["aligned"]], "only_branch": [sorted(map(list, s)) for s in a["aligned"] - ba["aligned"]]},
                  open(os.path.join(out, f"claims-diff-{mode}.json"), "w"), indent=1)
PY
