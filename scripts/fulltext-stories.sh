#!/usr/bin/env bash
# Clusters the extraction benchmark's pages by their bodies and scores the
# stories against bench/stories-fulltext/truth.json (B-cubed). Needs ../shared.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED="${SHARED:-../shared/bench}"
cargo build --release -q -p dossier-cli
OUT=target/stories-fulltext; mkdir -p "$OUT"
./target/release/dossier extract "$SHARED/extraction/html" -o "$OUT/articles.jsonl" || true
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
with open(f"{out}/eval.jsonl", "w") as f:
    for line in open(f"{out}/articles.jsonl"):
        a = json.loads(line)
        if "error" in a:
            continue
        pid = a["source"].rsplit("/", 1)[-1].split(".")[0]
        f.write(json.dumps({"id": pid, "title": a["title"] or "", "text": a["body"], "outlet": a["site_name"] or pid,
                            "published": a["published"] or "2019-11-19T00:00:00Z"}) + "\n")
PY
./target/release/dossier eval stories "$OUT/eval.jsonl" -o "$OUT/predictions.jsonl"
python3 "$SHARED/stories/score.py" "$OUT/predictions.jsonl" bench/stories-fulltext/truth.json
