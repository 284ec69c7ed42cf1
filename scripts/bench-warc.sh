#!/usr/bin/env bash
# WARC ingest throughput against warcio + trafilatura on the same archive, same run.
# Builds a CC-NEWS-style archive from ../shared/bench/extraction pages (x COPIES).
# Results go in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PAGES="${1:-../shared/bench/extraction}"
COPIES="${COPIES:-12}"
ROUNDS="${ROUNDS:-3}"
VENV="${VENV:-target/bench-venv}"
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import warcio, trafilatura" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q warcio trafilatura lxml_html_clean
fi
cargo build --release -q -p dossier-cli
OUT=target/bench-warc; mkdir -p "$OUT"
WARC="$OUT/pages.warc.gz"
"$VENV/bin/python" scripts/make_warc.py "$PAGES" "$WARC" --copies "$COPIES"
for r in $(seq 1 "$ROUNDS"); do
  rm -rf "$OUT/data"
  # %e wall seconds, %M peak RSS in KiB.
  /usr/bin/time -f "%e %M" -o "$OUT/dossier.$r.time" \
    ./target/release/dossier --data "$OUT/data" ingest --no-analyse --json --quiet "$WARC" > "$OUT/dossier.$r.json" || true
  "$VENV/bin/python" scripts/bench_warcio.py "$WARC" > "$OUT/peer.$r.json"
  # The same with one extraction thread, for a like-for-like single-core figure.
  rm -rf "$OUT/data1"
  /usr/bin/time -f "%e %M" -o "$OUT/dossier1.$r.time" \
    ./target/release/dossier --data "$OUT/data1" ingest --no-analyse --json --quiet --jobs 1 "$WARC" > "$OUT/dossier1.$r.json" || true
done
python3 - "$OUT" "$ROUNDS" "$WARC" <<'PY'
import json, os, statistics, sys
out, rounds, warc = sys.argv[1], int(sys.argv[2]), sys.argv[3]
mb = os.path.getsize(warc) / 1e6
ratios, ratios1 = [], []
for r in range(1, rounds + 1):
    s1, _ = open(f"{out}/dossier1.{r}.time").read().split()
    d1 = json.load(open(f"{out}/dossier1.{r}.json"))
    n1 = d1["new_articles"] + d1["already_stored"] + d1["revised"]
    secs, kib = open(f"{out}/dossier.{r}.time").read().split()
    d = json.load(open(f"{out}/dossier.{r}.json"))
    p = json.load(open(f"{out}/peer.{r}.json"))
    # Pages that became articles: new ones plus copies whose canonical URL was already stored.
    n = d["new_articles"] + d["already_stored"] + d["revised"]
    da, pa = n / float(secs), p["articles_per_second"]
    ratios.append(da / pa)
    ratios1.append(n1 / float(s1) / pa)
    print(f"round {r}: dossier {n} articles in {float(secs):.2f}s = {da:.0f} articles/s, {mb / float(secs):.1f} MB/s, peak RSS {int(kib) / 1024:.0f} MB | "
          f"{p['tool']}: {p['articles']} in {p['seconds']:.2f}s = {pa:.0f} articles/s, {p['archive_mb_per_second']:.1f} MB/s, peak RSS {p['peak_rss_mb']:.0f} MB | ratio {da / pa:.1f}x")
    print(f"         dossier --jobs 1: {n1} articles in {float(s1):.2f}s = {n1 / float(s1):.0f} articles/s | ratio {ratios1[-1]:.1f}x")
print(f"archive {mb:.1f} MB; median ratio (dossier, all cores / warcio+trafilatura): {statistics.median(ratios):.1f}x; "
      f"one extraction thread: {statistics.median(ratios1):.1f}x")
PY
