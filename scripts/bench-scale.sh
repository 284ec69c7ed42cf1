#!/usr/bin/env bash
# Scale-out throughput (issue 9): the embedded mode against 1, 2 and 4
# `dossier worker`s (PostgreSQL + NATS JetStream on loopback, started by
# scripts/scale-services.sh with PostgreSQL's durable defaults) on the same
# corpus, same machine, same run. Not part of the test run; figures go in
# BENCHMARKS.md.
#
#   scripts/bench-scale.sh            # N=20000 WORKERS="1 2 4" EMBEDDINGS=off
#   CORPUS_KIND=html scripts/bench-scale.sh   # full HTML pages instead (COPIES=12)
#
# Corpus: scripts/make_stories.py N (synthetic story stream: title + lead,
# 300 outlets, ~40 live events). Embedded: `dossier ingest` (store, then one
# analysis) timed whole, then `dossier analyse` alone. Scaled, per worker
# count: publish (timed), start the workers, and time until every article is
# stored, the queue is drained and the stored analysis covers every article.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-20000}"
WORKERS="${WORKERS:-1 2 4}"
EMB="${EMBEDDINGS:-off}"
OUT="${OUT:-target/bench-scale}"
mkdir -p "$OUT"
cargo build --release -q -p dossier-cli
BIN="${CARGO_TARGET_DIR:-target}/release/dossier"
if [ "${CORPUS_KIND:-stories}" = html ]; then
    # Full HTML pages: the 91 pages of ../shared/bench/extraction, COPIES times
    # each under distinct URLs (their rel=canonical / og:url removed so every
    # copy is its own article), as JSON Lines records with an `html` field.
    COPIES="${COPIES:-12}"
    CORPUS="$OUT/html-$COPIES"
    [ -d "$CORPUS" ] || python3 - "${PAGES:-../shared/bench/extraction/html}" "$COPIES" "$CORPUS" <<'PY'
import gzip, json, pathlib, re, sys
pages, copies, out = pathlib.Path(sys.argv[1]), int(sys.argv[2]), pathlib.Path(sys.argv[3])
out.mkdir(parents=True)
canon = re.compile(r'<link[^>]*rel=["\']?canonical[^>]*>|<meta[^>]*property=["\']og:url[^>]*>', re.I)
files = [open(out / f"copy-{k:02}.jsonl", "w") for k in range(copies)]  # each under the 64 MB input limit
for p in sorted(pages.iterdir()):
    raw = gzip.decompress(p.read_bytes()) if p.suffix == ".gz" else p.read_bytes()
    html = canon.sub("", raw.decode("utf-8", "replace"))
    for k, f in enumerate(files):
        f.write(json.dumps({"url": f"https://copy{k}.example/{p.name.split('.')[0]}", "html": html}) + "\n")
PY
else
    CORPUS="$OUT/stories-$N.jsonl"
    [ -f "$CORPUS" ] || python3 scripts/make_stories.py "$N" "$CORPUS" >/dev/null
fi
svc=$(mktemp -d "${TMPDIR:-/tmp}/dossier-bench.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    scripts/scale-services.sh stop "$svc"
    rm -rf "$svc"
}
trap cleanup EXIT
service_env=$(PG_DURABLE=1 scripts/scale-services.sh start "$svc")
eval "$service_env"
PG="$DOSSIER_TEST_POSTGRES"; NATS="$DOSSIER_TEST_NATS"
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.2f}')"; }

rm -rf "$OUT/embedded" "$OUT/embedded-store"
# Storing alone (no analysis), for the per-article cost.
t0=$(now)
"$BIN" --embeddings "$EMB" --data "$OUT/embedded-store" ingest --quiet --no-analyse "$CORPUS" >/dev/null
t1=$(now)
echo "embedded store only: $(secs "$t0" "$t1")s"
t0=$(now)
"$BIN" --embeddings "$EMB" --data "$OUT/embedded" ingest --quiet --json "$CORPUS" >"$OUT/embedded.json"
t1=$(now)
"$BIN" --embeddings "$EMB" --data "$OUT/embedded" analyse >/dev/null
t2=$(now)
ARTICLES=$(python3 -c "import json; d=json.load(open('$OUT/embedded.json')); print(d['new_articles'] + d['new_teasers'])")
emb=$(secs "$t0" "$t1"); ana=$(secs "$t1" "$t2")
echo "corpus: $(find "$CORPUS" -name '*.jsonl' -exec cat {} + | wc -l) records ($CORPUS), $ARTICLES articles; embeddings $EMB; $(nproc) cores"
echo "embedded: ingest + analysis ${emb}s = $(python3 -c "print(f'{$ARTICLES / $emb:.0f}')") articles/s; analysis alone ${ana}s"

for w in $WORKERS; do
    db="bench_${w}_$$"
    stream="BENCH${w}x$$"
    psql -q "$PG" -c "CREATE DATABASE $db"
    url="${PG%/*}/$db"
    t0=$(now)
    "$BIN" ingest --queue "$NATS" --stream "$stream" --quiet "$CORPUS" >/dev/null
    t1=$(now)
    pids=()
    for i in $(seq "$w"); do
        "$BIN" --embeddings "$EMB" worker --queue "$NATS" --stream "$stream" --store "$url" --metrics-addr 127.0.0.1:0 \
            >"$OUT/worker-$w-$i.out" 2>"$OUT/worker-$w-$i.err" &
        pids+=($!)
    done
    ts=$(now)
    for _ in $(seq 50); do grep -q metrics "$OUT/worker-$w-1.out" 2>/dev/null && break; sleep 0.1; done
    m1=$(grep -o 'http://[^ ]*/metrics' "$OUT/worker-$w-1.out")
    tstored=""
    while :; do
        state=$(psql -tAq "$url" -c "SELECT (SELECT count(*) FROM articles) || ' ' || (articles_version = analysed_version)::text FROM analysis_state")
        body=$(curl -s "$m1")
        pend=$(echo "$body" | awk '$1=="dossier_worker_queue_pending"||$1=="dossier_worker_queue_ack_pending"{s+=$2} END{print s+0}')
        [ -z "$tstored" ] && [ "${state%% *}" = "$ARTICLES" ] && tstored=$(now)
        [ "$state" = "$ARTICLES true" ] && [ "$pend" = 0 ] && break
        sleep 0.2
    done
    te=$(now)
    analyses=0; last=""
    for i in $(seq "$w"); do
        mi=$(grep -o 'http://[^ ]*/metrics' "$OUT/worker-$w-$i.out")
        b=$(curl -s "$mi")
        analyses=$((analyses + $(echo "$b" | awk '$1=="dossier_worker_analyses_total"{print $2}')))
        l=$(echo "$b" | awk '$1=="dossier_worker_analysis_seconds"{print $2}')
        [ "$l" != "0.000" ] && last="$last $l"
    done
    for p in "${pids[@]}"; do kill -TERM "$p"; done
    for p in "${pids[@]}"; do wait "$p" || true; done
    pids=()
    pub=$(secs "$t0" "$t1"); run=$(secs "$ts" "$te"); st=$(secs "$ts" "$tstored")
    echo "workers $w: publish ${pub}s; all stored after ${st}s = $(python3 -c "print(f'{$ARTICLES / $st:.0f}')") articles/s; stored + analysed in ${run}s = $(python3 -c "print(f'{$ARTICLES / $run:.0f}')") articles/s ($(python3 -c "print(f'{$emb / $run:.2f}')")x embedded); $analyses analyses, last took:${last}s"
done
