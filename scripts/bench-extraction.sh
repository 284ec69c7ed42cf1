#!/usr/bin/env bash
# Extraction speed and quality against trafilatura and rs-trafilatura, same
# pages, same run, one thread each. DIR ($1) is a benchmark folder with
# html/ and ground-truth.json: ../shared/bench/extraction (default) or
# ../shared/bench/extraction-wcxb. Results go in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${1:-../shared/bench/extraction}"
PASSES="${PASSES:-5}"
VENV="${VENV:-target/bench-venv}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import trafilatura, rs_trafilatura' 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q trafilatura lxml_html_clean rs-trafilatura
fi
cargo build --release -q -p dossier-cli
OUT=target/bench-extraction/$(basename "$DIR"); mkdir -p "$OUT"
# Interleave the three, round by round, so machine noise hits all alike;
# the reported ratios are the medians of the per-round ratios.
ROUNDS="${ROUNDS:-3}"
for r in $(seq 1 "$ROUNDS"); do
  ./target/release/dossier bench extraction "$DIR" --passes "$PASSES" > "$OUT/dossier.$r.json"
  "$VENV/bin/python" scripts/bench_trafilatura.py "$DIR" --passes "$PASSES" --predictions "$OUT/trafilatura.pred.json" > "$OUT/trafilatura.$r.json"
  "$VENV/bin/python" scripts/bench_trafilatura.py "$DIR" --passes "$PASSES" --engine rs-trafilatura --predictions "$OUT/rs-trafilatura.pred.json" > "$OUT/rs-trafilatura.$r.json"
done
# Quality on the same pages: shingle F1 (score.py) and word F1 (WCXB's
# score_words.py), for the whole set and for the two fixed halves of
# scripts/wcxb_split.py.
./target/release/dossier eval extraction "$DIR" -o "$OUT/dossier.pred.json" 2>/dev/null
for e in dossier trafilatura rs-trafilatura; do
  echo "$e" > "$OUT/$e.score.txt"
  python3 scripts/wcxb_split.py score "$OUT/$e.pred.json" "$DIR" >> "$OUT/$e.score.txt"
done
python3 - "$OUT" "$ROUNDS" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
runs = {e: [json.load(open(f"{out}/{e}.{r}.json")) for r in range(1, rounds + 1)] for e in ("dossier", "trafilatura", "rs-trafilatura")}
d0 = runs["dossier"][0]
print(f"pages {d0['pages']}, {d0['megabytes']:.1f} MB, one thread, {rounds} rounds x median of {d0['passes']} passes")
for i in range(rounds):
    d, t, s = (runs[e][i] for e in ("dossier", "trafilatura", "rs-trafilatura"))
    print(f"round {i + 1}: dossier {d['pages_per_second']:7.1f} pages/s | {t['extractor']} {t['pages_per_second']:6.1f} pages/s | "
          f"{s['extractor']} {s['pages_per_second']:6.1f} pages/s | ratios {d['pages_per_second'] / t['pages_per_second']:.1f}x "
          f"{d['pages_per_second'] / s['pages_per_second']:.1f}x")
for peer in ("trafilatura", "rs-trafilatura"):
    ratios = [d["pages_per_second"] / t["pages_per_second"] for d, t in zip(runs["dossier"], runs[peer])]
    print(f"median ratio (dossier / {peer}): {statistics.median(ratios):.1f}x")
print("peak RSS: " + ", ".join(f"{e} {max(r['peak_rss_mb'] for r in runs[e]):.0f} MB" for e in runs))
for e in runs:
    print(open(f"{out}/{e}.score.txt").read().strip())
PY
