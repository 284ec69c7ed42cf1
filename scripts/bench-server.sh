#!/usr/bin/env bash
# Server benchmark (issue 8): a synthetic corpus of N articles (default
# 100,000; scripts/make_stories.py), ingested and analysed, served on
# loopback; wrk (Debian) measures search latency (p50/p99) and story-page
# JSON requests/s. wrk and the server share this machine's cores.
#   scripts/bench-server.sh [N] [DURATION]
set -euo pipefail
cd "$(dirname "$0")/.."
N="${1:-100000}"; DUR="${2:-20s}"
command -v wrk >/dev/null || { apt-get update && apt-get install -y --no-install-recommends wrk; }
cargo build --release -q -p dossier-cli
B=target/bench-server; mkdir -p "$B"; D="$B/data-$N"
[ -f "$B/st$N.jsonl" ] || python3 scripts/make_stories.py "$N" "$B/st$N.jsonl"
if [ ! -f "$D/dossier.sqlite" ]; then
    /usr/bin/time -f "ingest + analyse + index: %e s, peak %M KiB" ./target/release/dossier --data "$D" --embeddings off ingest --quiet "$B/st$N.jsonl"
fi
./target/release/dossier --data "$D" serve --addr 127.0.0.1:18555 > "$B/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null' EXIT
sleep 2
# Queries: single rare words, two-word ANDs, phrases, and a facet filter, rotating.
python3 - "$B/st$N.jsonl" "$B" <<'PY'
import json, sys, random, urllib.parse
rng = random.Random(7); src, out = sys.argv[1], sys.argv[2]
titles = [json.loads(l)["title"] for _, l in zip(range(20000), open(src))]
qs = []
for t in rng.sample(titles, 200):
    w = t.lower().split()
    qs += [w[0], " AND ".join(w[:2]), '"' + " ".join(w[:2]) + '"']
paths = ["/api/search?q=" + urllib.parse.quote(q) for q in qs] + ["/api/search?q=" + urllib.parse.quote(q) + "&outlet=Outlet%2017" for q in qs[::3][:100]]
open(f"{out}/search.lua", "w").write("paths = {" + ",".join(json.dumps(p) for p in paths) + "}\ni = 0\nrequest = function() i = i % #paths + 1; return wrk.format('GET', paths[i]) end\n")
PY
curl -s "http://127.0.0.1:18555/api/stories" | python3 -c "
import json, sys
ids = [s['id'] for s in json.load(sys.stdin)['stories']][:500]
open('$B/story.lua', 'w').write('paths = {' + ','.join(json.dumps('/api/stories/' + i) for i in ids) + '}\ni = 0\nrequest = function() i = i % #paths + 1; return wrk.format(\"GET\", paths[i]) end\n')"
echo "== search (/api/search, rotating 700 queries)"
wrk -t2 -c8 -d"$DUR" --latency -s "$B/search.lua" http://127.0.0.1:18555
echo "== story JSON (/api/stories/{id}, rotating 500 stories)"
wrk -t2 -c16 -d"$DUR" --latency -s "$B/story.lua" http://127.0.0.1:18555
