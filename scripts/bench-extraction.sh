#!/usr/bin/env bash
# Extraction speed and quality against trafilatura, same pages, same run.
# Needs ../shared/bench/extraction (or DIR as $1). Results go in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${1:-../shared/bench/extraction}"
PASSES="${PASSES:-5}"
VENV="${VENV:-target/bench-venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q trafilatura lxml_html_clean
fi
cargo build --release -q -p dossier-cli
OUT=target/bench-extraction; mkdir -p "$OUT"
# Alternate the two to spread machine noise evenly.
./target/release/dossier bench extraction "$DIR" --passes "$PASSES" > "$OUT/dossier.json"
"$VENV/bin/python" scripts/bench_trafilatura.py "$DIR" --passes "$PASSES" > "$OUT/trafilatura.json"
./target/release/dossier bench extraction "$DIR" --passes "$PASSES" > "$OUT/dossier2.json"
# Quality on the same pages.
./target/release/dossier eval extraction "$DIR" -o "$OUT/predictions.json" 2>/dev/null
python3 "$DIR/score.py" "$OUT/predictions.json" > "$OUT/score.txt"
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
d1 = json.load(open(f"{out}/dossier.json")); d2 = json.load(open(f"{out}/dossier2.json"))
t = json.load(open(f"{out}/trafilatura.json"))
d = d1 if d1["pages_per_second"] < d2["pages_per_second"] else d2  # the slower of the two dossier runs
print(f"pages {d['pages']}, {d['megabytes']:.1f} MB, one thread, median of {d['passes']} passes")
for r in (d, t):
    print(f"{r['extractor']:<22} {r['pages_per_second']:8.1f} pages/s {r['megabytes_per_second']:7.1f} MB/s  peak RSS {r['peak_rss_mb']:.0f} MB")
print(f"ratio (dossier / trafilatura): {d['pages_per_second'] / t['pages_per_second']:.1f}x")
print(open(f"{out}/score.txt").read().strip().splitlines()[-1].replace("F1", "dossier F1"))
PY
