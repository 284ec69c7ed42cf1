#!/usr/bin/env bash
# The feed, the story list and the CSV exports over one data directory, served by
# each binary given in turn (say main's and a branch's): status, bytes and the
# median of five requests (curl on loopback).
#
#   scripts/bench-desk.sh DATA_DIR BINARY...
set -euo pipefail
data=$1; shift
for bin in "$@"; do
  out=$(mktemp); "$bin" --embeddings off --data "$data" serve --addr 127.0.0.1:0 > "$out" 2>/dev/null & pid=$!
  for _ in $(seq 100); do grep -q "serving" "$out" && break; sleep 0.1; done
  base=$(sed -n 's|.*serving \(http://[^/]*\)/.*|\1|p' "$out")
  for path in "/" "/api/stories" "/api/stories?limit=500" "/api/stories.csv" "/api/claims.csv"; do
    times=(); size=0
    for _ in 1 2 3 4 5; do
      r=$(curl -s -o /dev/null -w "%{http_code} %{size_download} %{time_total}" "$base$path")
      set -- $r; code=$1; size=$2; times+=("$3")
    done
    med=$(printf "%s\n" "${times[@]}" | sort -n | sed -n 3p)
    echo "$bin  $path  status $code  bytes $size  median ${med}s"
  done
  kill $pid; wait $pid 2>/dev/null || true; rm -f "$out"
done
