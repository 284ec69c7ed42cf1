#!/usr/bin/env bash
# The engine at scale (issue 18): does an arrival cost what its story costs,
# not the corpus? For each store size N: a full-text stream
# (scripts/make_fulltext_stream.py, real PolNeAR train text, several outlets
# per event, RATE articles a day, default 150: the 840 source texts do not
# repeat within the clusterer's 15-day window) is ingested up to N articles; then one
# more article is added (a fresh `dossier ingest` process, as a user would:
# wall time, and the engine's own analysis time from --json), and then the
# next M articles arrive in publication order in batches of B (a live desk),
# reporting articles/s and the process's peak RSS.
#
# Usage: scripts/bench-engine-scale.sh [N...]      (default: 2000 5000 10000)
#   M (default 1000), B (default 100), RATE (default 150), EMB (--embeddings value, default off),
#   EMB_BASE (--embeddings for building the stored N, default EMB: building 100,000 with the
#   model takes hours, so the steady-state run builds the store without it and lets the
#   next M arrive with it; the clusterer's window is model-built after 15 days of stream),
#   BIN (default target/release/dossier, built here). Needs ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("${@:-2000 5000 10000}")
[ $# -eq 0 ] && SIZES=(2000 5000 10000)
M="${M:-1000}"; B="${B:-100}"; EMB="${EMB:-off}"; RATE="${RATE:-150}"; EMB_BASE="${EMB_BASE:-$EMB}"
BIN="${BIN:-target/release/dossier}"
[ "$BIN" = target/release/dossier ] && cargo build --release -q -p dossier-cli
OUT=target/bench-engine-scale; mkdir -p "$OUT"
printf "%8s %12s %14s %16s %14s %12s\n" "stored" "build art/s" "add-one wall" "add-one analysis" "next art/s" "peak RSS"
for N in "${SIZES[@]}"; do
    SET="$OUT/stream-$RATE-$((N + M + 1)).jsonl"
    [ -f "$SET" ] || python3 scripts/make_fulltext_stream.py $((N + M + 1)) "$SET" "$RATE" 2>/dev/null
    head -n "$N" "$SET" > "$OUT/base.jsonl"
    sed -n "$((N + 1))p" "$SET" > "$OUT/one.jsonl"
    tail -n "$M" "$SET" > "$OUT/next.jsonl"
    D="$OUT/data-$N"; rm -rf "$D"
    t0=$(date +%s.%N)
    "$BIN" --embeddings "$EMB_BASE" --data "$D" ingest -q "$OUT/base.jsonl" > /dev/null
    t1=$(date +%s.%N)
    "$BIN" --embeddings "$EMB" --data "$D" ingest -q --json "$OUT/one.jsonl" > "$OUT/one-$N.json"
    t2=$(date +%s.%N)
    rm -rf "$OUT/chunks"; mkdir -p "$OUT/chunks"
    split -l "$B" -d -a 4 "$OUT/next.jsonl" "$OUT/chunks/c"
    peak=0
    # Per batch: wall seconds, CPU seconds, peak RSS (KiB): is the steady state flat?
    printf "batch\twall_s\tcpu_s\trss_kib\n" > "$OUT/next-$N.tsv"
    t3=$(date +%s.%N)
    for c in "$OUT"/chunks/c*; do
        mv "$c" "$c.jsonl"
        /usr/bin/time -f "%e %U %S %M" -o "$OUT/rss" "$BIN" --embeddings "$EMB" --data "$D" ingest -q "$c.jsonl" > /dev/null
        read -r w u s r < "$OUT/rss"
        printf "%s\t%s\t%s\t%s\n" "$(basename "$c")" "$w" "$(echo "$u + $s" | bc -l)" "$r" >> "$OUT/next-$N.tsv"
        [ "$r" -gt "$peak" ] && peak=$r
    done
    t4=$(date +%s.%N)
    printf "%8d %12.0f %13.2fs %15ss %14.1f %9d MB\n" "$N" "$(echo "$N / ($t1 - $t0)" | bc -l)" "$(echo "$t2 - $t1" | bc -l)" \
        "$(python3 -c "import json;print(json.load(open('$OUT/one-$N.json')).get('analysis_seconds','?'))")" \
        "$(echo "$M / ($t4 - $t3)" | bc -l)" "$((peak / 1024))"
done
