#!/usr/bin/env bash
# Steady state, two binaries in the same run (issue 18): on a store that
# already holds many articles (for instance scripts/bench-engine-scale.sh's
# data-100000), the next articles arrive in publication order in batches of
# B, each batch a fresh `dossier ingest` process (as a live desk's rounds
# are), the batches alternating between BASELINE and BRANCH so that both
# meet the same store at the same size on the same machine at the same
# moment. Prints per binary: articles/s (wall), CPU seconds per article,
# the highest peak RSS of a batch; per-batch figures go to OUT.
#
# Usage: scripts/bench-engine-steady.sh DATA NEXT.jsonl
#   DATA      the data directory to add to (it grows: copy it first to keep it)
#   NEXT      the arriving articles (JSON Lines), in publication order
#   BASELINE  baseline binary (default /work/bin/dossier-main)
#   BRANCH    binary under test (default target/release/dossier, built here)
#   B         articles per batch (default 100); EMB --embeddings (default on)
#   EVERY     one batch in EVERY goes to the baseline, the rest to the branch
#             (default 2: alternate; 6 gives the branch five batches in six)
#   OUT       per-batch table (default target/bench-engine-steady.tsv)
#   LOG       when set, each batch's phase timings (DOSSIER_LOG=dossier_engine::timing=debug)
#             are appended to this file after a line "batch NAME BINARY": where the time goes
set -euo pipefail
cd "$(dirname "$0")/.."
DATA="$1"; NEXT="$2"
BASELINE="${BASELINE:-/work/bin/dossier-main}"
BRANCH="${BRANCH:-target/release/dossier}"
B="${B:-100}"; EVERY="${EVERY:-2}"; EMB="${EMB:-on}"; OUT="${OUT:-target/bench-engine-steady.tsv}"
[ "$BRANCH" = target/release/dossier ] && cargo build --release -q -p dossier-cli
chunks=$(mktemp -d); trap 'rm -rf "$chunks"' EXIT
split -l "$B" -d -a 4 "$NEXT" "$chunks/c"
printf "batch\tbinary\tarticles\twall_s\tcpu_s\trss_kib\n" > "$OUT"
n=0
for c in "$chunks"/c*; do
    mv "$c" "$c.jsonl"
    who=baseline; bin=$BASELINE
    [ $((n % EVERY)) -ne 0 ] && { who=branch; bin=$BRANCH; }
    if [ -n "${LOG:-}" ]; then
        echo "batch $(basename "$c") $who" >> "$LOG"
        DOSSIER_LOG=dossier_engine::timing=debug NO_COLOR=1 /usr/bin/time -f "%e %U %S %M" -o "$chunks/time" "$bin" --embeddings "$EMB" --data "$DATA" ingest -q "$c.jsonl" > /dev/null 2>> "$LOG"
    else
        /usr/bin/time -f "%e %U %S %M" -o "$chunks/time" "$bin" --embeddings "$EMB" --data "$DATA" ingest -q "$c.jsonl" > /dev/null
    fi
    read -r w u s r < "$chunks/time"
    printf "%s\t%s\t%s\t%s\t%s\t%s\n" "$(basename "$c")" "$who" "$(wc -l < "$c.jsonl")" "$w" "$(echo "$u + $s" | bc -l)" "$r" >> "$OUT"
    n=$((n + 1))
done
python3 - "$OUT" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
for who in ("baseline", "branch"):
    mine = [r for r in rows if r["binary"] == who]
    if not mine:
        continue
    arts = sum(int(r["articles"]) for r in mine)
    wall = sum(float(r["wall_s"]) for r in mine)
    cpu = sum(float(r["cpu_s"]) for r in mine)
    rss = max(int(r["rss_kib"]) for r in mine) / 1024
    print(f"{who:9} {len(mine):3} batches {arts:6} articles: {arts / wall:6.2f} articles/s, {cpu / arts:.3f} CPU-s per article, peak RSS {rss:.0f} MB")
PY
