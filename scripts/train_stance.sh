#!/usr/bin/env bash
# Trains the stance classifier shipped as crates/stance/model/stance.json and
# measures it once on held-out bodies.
#
#   scripts/train_stance.sh [BENCH_DIR] [WORK_DIR]
#
# BENCH_DIR holds the FNC-1 files (default ../shared/bench/stance). The rows are
# split by Body ID (scripts/split_stance.py: 20 % of the bodies held out); every
# setting is chosen by 5-fold cross-validation grouped by Body ID on the rest
# (the training example: the trees are fitted some hundred times, which the
# workspace's dev profile optimises); then `dossier eval stance` labels the held-out rows and the bench's
# score.py scores them. Look at that figure once, after choosing everything.
set -euo pipefail
cd "$(dirname "$0")/.."
bench=${1:-../shared/bench/stance}
work=${2:-target/stance}
mkdir -p "$work"
python3 scripts/split_stance.py "$bench/train_stances.csv" "$work"
cargo run -q -p dossier-stance --example train_stance -- "$work/fit_stances.csv" "$bench/train_bodies.csv" crates/stance/model/stance.json 5
if [[ "${HOLDOUT:-1}" == 1 ]]; then
    cargo run -q -p dossier-cli -- eval stance "$work/holdout_stances.csv" "$bench/train_bodies.csv" --out "$work/holdout_pred.txt"
    python3 "$bench/score.py" "$work/holdout_pred.txt" "$work/holdout_stances.csv"
fi
