#!/usr/bin/env bash
# The served OpenAPI document is the API: schemathesis (PyPI, pinned, in a
# venv under target/) generates requests from /api/openapi.json of a real
# `dossier serve` on loopback, over a data directory holding the sample
# corpus, and runs every check on the answers: no 5xx, every status, header,
# content type and body as documented, requests that break the document
# refused, requests that follow it accepted (tests/api/schemathesis.toml says
# why a 422 counts as accepting), auth not ignored. POST /api/ingest runs
# with the ingest token and the document's examples (real articles) besides
# the generated bodies. /api/events is left out: its stream never ends, so no
# request of it completes; its events are checked against the document by
# crates/server/src/tests.rs (events_announce_...).
#
#   scripts/fuzz-api.sh [DOSSIER_BINARY]     (default: target/debug/dossier)
#
# FUZZ_EXAMPLES (default 30) bounds the examples per operation; FUZZ_SEED
# (default 1) fixes what is generated. The report lands in
# target/schemathesis-report/, what `st replay` needs in target/.schemathesis/.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p "${CARGO_TARGET_DIR:-target}"
target=$(cd "${CARGO_TARGET_DIR:-target}" && pwd)
bin="${1:-$target/debug/dossier}"
version=4.32.5
venv="$target/schemathesis-venv"
if ! "$venv/bin/st" --version 2>/dev/null | grep -q "version $version"; then
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check "schemathesis==$version"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/dossier-fuzz.XXXXXX")
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT
# The model is not what is under test here; without it every accepted ingest analyses fast.
"$bin" --embeddings off --data "$work/data" ingest --quiet examples/corpus > /dev/null
token=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
DOSSIER_INGEST_TOKEN="$token" "$bin" --embeddings off --data "$work/data" serve --addr 127.0.0.1:0 > "$work/serve.out" 2> "$work/serve.err" &
server=$!
for _ in $(seq 100); do
    grep -q "dossier is serving" "$work/serve.out" && break
    kill -0 "$server" 2>/dev/null || { cat "$work/serve.err" >&2; exit 1; }
    sleep 0.1
done
base=$(sed -n 's|.*dossier is serving \(http://[^/]*\)/.*|\1|p' "$work/serve.out")
[ -n "$base" ] || { echo "fuzz-api: the server did not start" >&2; cat "$work/serve.err" >&2; exit 1; }

# From target/, where schemathesis keeps what it needs to replay a failure (.schemathesis/).
root=$PWD
(cd "$target" && "$venv/bin/st" --config-file "$root/tests/api/schemathesis.toml" run "$base/api/openapi.json" \
    --checks all \
    --max-examples "${FUZZ_EXAMPLES:-30}" \
    --seed "${FUZZ_SEED:-1}" \
    --header "Authorization: Bearer $token" \
    --exclude-path /api/events \
    --request-timeout 30 \
    --report junit --report-dir schemathesis-report)

# The examples' real articles went in through the API and reached search.
python3 - "$base" <<'EOF'
import json, sys, urllib.request
hits = json.load(urllib.request.urlopen(sys.argv[1] + "/api/search?outlet=Intel%20Review"))
assert hits["total"] >= 1, f"the ingest examples were not stored: {hits}"
EOF
if grep -q "panicked" "$work/serve.err"; then
    echo "fuzz-api: the server panicked:" >&2
    cat "$work/serve.err" >&2
    exit 1
fi
echo "fuzz-api: schemathesis passed; the ingest examples were stored and found"
