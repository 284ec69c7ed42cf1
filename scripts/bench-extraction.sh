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
# Interleave the two, round by round, so machine noise hits both alike;
# the reported ratio is the median of the per-round ratios.
ROUNDS="${ROUNDS:-3}"
for r in $(seq 1 "$ROUNDS"); do
  ./target/release/dossier bench extraction "$DIR" --passes "$PASSES" > "$OUT/dossier.$r.json"
  "$VENV/bin/python" scripts/bench_trafilatura.py "$DIR" --passes "$PASSES" > "$OUT/trafilatura.$r.json"
done
# Quality on the same pages.
./target/release/dossier eval extraction "$DIR" -o "$OUT/predictions.json" 2>/dev/null
python3 "$DIR/score.py" "$OUT/predictions.json" > "$OUT/score.txt"
python3 - "$OUT" "$ROUNDS" <<'PY'
import json, statistics, sys
out, rounds = sys.argv[1], int(sys.argv[2])
ds = [json.load(open(f"{out}/dossier.{r}.json")) for r in range(1, rounds + 1)]
ts = [json.load(open(f"{out}/trafilatura.{r}.json")) for r in range(1, rounds + 1)]
d0 = ds[0]
print(f"pages {d0['pages']}, {d0['megabytes']:.1f} MB, one thread, {rounds} rounds x median of {d0['passes']} passes")
for i, (d, t) in enumerate(zip(ds, ts), 1):
    print(f"round {i}: dossier {d['pages_per_second']:7.1f} pages/s {d['megabytes_per_second']:6.1f} MB/s | "
          f"{t['extractor']} {t['pages_per_second']:5.1f} pages/s {t['megabytes_per_second']:5.1f} MB/s | "
          f"ratio {d['pages_per_second'] / t['pages_per_second']:.1f}x")
ratios = [d["pages_per_second"] / t["pages_per_second"] for d, t in zip(ds, ts)]
print(f"median ratio (dossier / trafilatura): {statistics.median(ratios):.1f}x")
print(f"peak RSS: dossier {max(d['peak_rss_mb'] for d in ds):.0f} MB, trafilatura {max(t['peak_rss_mb'] for t in ts):.0f} MB")
print(open(f"{out}/score.txt").read().strip().splitlines()[-1].replace("F1", "dossier F1"))
PY
