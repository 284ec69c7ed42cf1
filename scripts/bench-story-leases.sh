#!/usr/bin/env bash
# Story analysis across scaled-out workers (issue 18): the same stored corpus,
# analysed by 1 and then 2 (or the counts given) `dossier worker`s against one
# PostgreSQL database, each count on a fresh database. For each count: the
# input is published to NATS and stored (and embedded) by one worker that
# never analyses, which then stops; then N analysing workers start on the
# drained queue, and the script times, from when all N are up (model
# loaded), until placing is done (no arrival pending) and until every story
# is analysed (no owing mark left), and prints the workers' CPU time (model
# loading included), the stories each worker analysed and a digest of the
# stories, claims and briefs (equal across counts).
#
# Usage: scripts/bench-story-leases.sh [N...]         (default: 1 2)
#   SET (default target/bench-fulltext/events-300.jsonl: scripts/make_fulltext_events.py),
#   EMB (--embeddings, default on: needs DOSSIER_MODEL), BIN (default target/release/dossier).
#   Uses DOSSIER_TEST_POSTGRES / DOSSIER_TEST_NATS when set, else starts both
#   (scripts/scale-services.sh) and stops them at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNTS=("${@:-1 2}")
[ $# -eq 0 ] && COUNTS=(1 2)
SET="${SET:-target/bench-fulltext/events-300.jsonl}"
EMB="${EMB:-on}"
BIN="${BIN:-target/release/dossier}"
[ "$BIN" = target/release/dossier ] && cargo build --release -q -p dossier-cli
OUT=target/bench-story-leases; rm -rf "$OUT"; mkdir -p "$OUT"
if [ -z "${DOSSIER_TEST_POSTGRES:-}" ] || [ -z "${DOSSIER_TEST_NATS:-}" ]; then
    svc=$(mktemp -d "${TMPDIR:-/tmp}/dossier-bench.XXXXXX")
    trap 'scripts/scale-services.sh stop "$svc"; rm -rf "$svc"' EXIT
    eval "$(scripts/scale-services.sh start "$svc")"
fi
PG="$DOSSIER_TEST_POSTGRES"; NATS="$DOSSIER_TEST_NATS"
q() { psql -qtAX "$1" -c "$2"; }
now() { date +%s.%N; }
expected=$(wc -l < "$SET")   # messages (one per JSON line)
pids=()
stop_workers() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    pids=()
}
printf "%8s %10s %14s %10s %10s %20s %34s\n" "workers" "placing" "story analysis" "total" "CPU" "stories per worker" "digest (stories, claims, briefs)"
for n in "${COUNTS[@]}"; do
    db="bench_leases_${n}_$$"
    q "$PG" "CREATE DATABASE $db" > /dev/null
    url="${PG%/*}/$db"
    stream="BL${n}X$$"
    "$BIN" ingest --queue "$NATS" --stream "$stream" "$SET" > /dev/null
    # Storing (and embedding) alone, by one worker that never analyses.
    "$BIN" --embeddings "$EMB" worker --queue "$NATS" --stream "$stream" --store "$url" --metrics-addr 127.0.0.1:0 --no-analyse > "$OUT/store-$n.log" 2>&1 &
    pids=($!)
    until grep -q "metrics on" "$OUT/store-$n.log" 2>/dev/null; do sleep 0.1; done
    addr=$(grep -o "http://[^ ]*/metrics" "$OUT/store-$n.log" | head -1)
    # Until the queue is drained (every message stored and acknowledged, so embedded too:
    # a batch is embedded before its messages are acknowledged).
    while :; do
        m=$(curl -s "$addr")
        pending=$(echo "$m" | awk '/^dossier_worker_queue_pending / {print $2}')
        acking=$(echo "$m" | awk '/^dossier_worker_queue_ack_pending / {print $2}')
        taken=$(echo "$m" | awk '/^dossier_worker_messages_total/ {s += $2} END {print s + 0}')
        [ "$pending" = 0 ] && [ "$acking" = 0 ] && [ "$taken" -ge "$expected" ] && break
        sleep 0.5
    done
    stop_workers
    # The analysis: N workers on the drained queue.
    for i in $(seq "$n"); do
        "$BIN" --embeddings "$EMB" worker --queue "$NATS" --stream "$stream" --store "$url" --metrics-addr 127.0.0.1:0 > "$OUT/worker-$n-$i.log" 2>&1 &
        pids+=($!)
    done
    until [ "$(grep -l "metrics on" "$OUT"/worker-"$n"-*.log 2>/dev/null | wc -l)" -ge "$n" ]; do sleep 0.05; done
    t0=$(now); t1=""
    while :; do
        read -r pending owed < <(q "$url" "SELECT (SELECT count(*) FROM arrivals WHERE NOT analysed), (SELECT count(*) FROM engine_state WHERE key LIKE 'owed:%')" | tr '|' ' ')
        [ -z "$t1" ] && [ "$pending" = 0 ] && t1=$(now)
        [ "$pending" = 0 ] && [ "$owed" = 0 ] && break
        sleep 0.1
    done
    t2=$(now)
    per=""
    for i in $(seq "$n"); do
        addr=$(grep -o "http://[^ ]*/metrics" "$OUT/worker-$n-$i.log" | head -1)
        per="$per $(curl -s "$addr" | awk '/^dossier_worker_stories_analysed_total/ {print $2}')"
    done
    # The analysing workers' CPU time (user + system, all threads), from /proc.
    ticks=0
    for p in "${pids[@]}"; do ticks=$((ticks + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
    cpu=$(echo "$ticks / $(getconf CLK_TCK)" | bc -l)
    stop_workers
    digest=$(q "$url" "SELECT md5(string_agg(j, '|' ORDER BY j)) FROM (SELECT json AS j FROM stories UNION ALL SELECT json FROM aligned_claims UNION ALL SELECT json FROM briefs) t")
    printf "%8d %9.1fs %13.1fs %9.1fs %9.1fs %20s %34s\n" "$n" "$(echo "$t1 - $t0" | bc -l)" "$(echo "$t2 - $t1" | bc -l)" "$(echo "$t2 - $t0" | bc -l)" "$cpu" "${per# }" "$digest"
done
