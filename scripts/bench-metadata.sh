#!/usr/bin/env bash
# Title, author and publish-date accuracy on extraction-wcxb: dossier against
# trafilatura and rs-trafilatura, same pages (each given the page's URL), same run.
# Rules and halves: scripts/score_metadata.py. Results go in BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DIR="${1:-../shared/bench/extraction-wcxb}"
VENV="${VENV:-target/meta-venv}"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q 'trafilatura==2.3.*' lxml_html_clean rs-trafilatura
fi
cargo build --release -q -p dossier-cli
OUT=target/bench-metadata; mkdir -p "$OUT"
./target/release/dossier eval extraction "$DIR" -o "$OUT/dossier.json" 2>/dev/null
"$VENV/bin/python" scripts/metadata_peers.py "$DIR" "$OUT"
python3 scripts/score_metadata.py "$OUT/dossier.json" "$OUT/trafilatura.json" "$OUT/rs-trafilatura.json" --truth "$DIR/ground-truth.json"
