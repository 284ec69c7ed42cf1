#!/usr/bin/env bash
# Replays claim alignment over a data folder made with the model (for
# instance target/bench-engine/fulltext-300/baseline-on.data from
# scripts/bench-engine.sh) using the meaning scores it stored, under candidate
# settings K:PER_CLAIM:MIN_CLOSENESS ("all": every eligible pair)
# and prints
# what each would cost (pairs, distinct sentences for the model) and which
# cross-outlet claims it keeps, loses or gains against the stored ones. No
# model needed; SHOW=1 lists the claims lost and gained.
# Usage: scripts/replay-meaning.sh DATA_DIR [VARIANT ...]
set -euo pipefail
cd "$(dirname "$0")/.."
data=$1; shift
dump="target/replay-meaning/$(echo "$data" | tr '/' '_')"
mkdir -p "$dump"
db="$data/dossier.sqlite"
sqlite3 "$db" "SELECT json FROM articles" >"$dump/articles.jsonl"
sqlite3 "$db" "SELECT json FROM stories" >"$dump/stories.jsonl"
sqlite3 "$db" "SELECT json FROM aligned_claims" >"$dump/claims.jsonl"
sqlite3 -separator $'\t' "$db" "SELECT model, pair, score FROM meaning_scores" >"$dump/scores.tsv"
cargo run --release -q -p dossier-claims --example replay_meaning -- "$dump" "$@"
