#!/usr/bin/env bash
# Throwaway PostgreSQL and NATS JetStream servers on loopback, for the
# scale-out tests and benchmarks. Everything lives in one temporary folder.
#
#   eval "$(scripts/scale-services.sh start DIR)"   # prints the export lines
#   scripts/scale-services.sh stop DIR
#
# `start` installs Debian's postgresql and nats-server when missing, runs
# initdb in DIR/pg (as the `postgres` user when run as root: PostgreSQL
# refuses to run as root), starts it on a free loopback port with trust
# authentication, starts `nats-server -js` with its store in DIR/nats on
# another free port, waits until both answer, and prints
# DOSSIER_TEST_POSTGRES / DOSSIER_TEST_NATS exports. `stop` stops both.
set -euo pipefail
cmd=${1:?usage: scale-services.sh start|stop DIR}
dir=${2:?usage: scale-services.sh start|stop DIR}

pg_bin() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        [ -x "$d/pg_ctl" ] && { echo "$d"; return; }
    done
    command -v pg_ctl >/dev/null 2>&1 && dirname "$(command -v pg_ctl)"
}

as_pg() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "$cmd" in
start)
    need=()
    [ -n "$(pg_bin)" ] || need+=(postgresql)
    command -v nats-server >/dev/null 2>&1 || need+=(nats-server)
    if [ ${#need[@]} -gt 0 ]; then
        { apt-get update && apt-get install -y --no-install-recommends "${need[@]}"; } >&2
    fi
    bin=$(pg_bin)
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir /nonexistent --shell /usr/sbin/nologin postgres >&2
    fi
    mkdir -p "$dir/pg" "$dir/nats"
    if [ "$(id -u)" = 0 ]; then chmod 755 "$dir"; chown postgres "$dir/pg"; fi
    pg_port=$(free_port)
    as_pg "$bin/initdb" -D "$dir/pg/data" -U postgres -A trust -E UTF8 --no-locale >"$dir/pg/initdb.log" 2>&1 \
        || { cat "$dir/pg/initdb.log" >&2; exit 1; }
    # Durability off for throwaway test data; PG_DURABLE=1 keeps PostgreSQL's
    # defaults (fsync, synchronous commit), as benchmarks want.
    opts="-h 127.0.0.1 -p $pg_port -k $dir/pg -c max_connections=200"
    [ "${PG_DURABLE:-0}" = 1 ] || opts="$opts -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    as_pg "$bin/pg_ctl" -D "$dir/pg/data" -l "$dir/pg/server.log" -w -t 60 -o "$opts" start >&2 \
        || { cat "$dir/pg/server.log" >&2; exit 1; }
    nats_port=$(free_port)
    nohup nats-server -js -sd "$dir/nats" -a 127.0.0.1 -p "$nats_port" -l "$dir/nats/server.log" >/dev/null 2>&1 &
    echo $! >"$dir/nats/pid"
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$nats_port") 2>/dev/null && break
        sleep 0.1
    done
    (exec 3<>"/dev/tcp/127.0.0.1/$nats_port") 2>/dev/null || { echo "nats-server did not start:" >&2; cat "$dir/nats/server.log" >&2; exit 1; }
    echo "export DOSSIER_TEST_POSTGRES=postgres://postgres@127.0.0.1:$pg_port/postgres"
    echo "export DOSSIER_TEST_NATS=nats://127.0.0.1:$nats_port"
    ;;
stop)
    if [ -f "$dir/nats/pid" ]; then
        kill "$(cat "$dir/nats/pid")" 2>/dev/null || true
        rm -f "$dir/nats/pid"
    fi
    if [ -d "$dir/pg/data" ]; then
        as_pg "$(pg_bin)/pg_ctl" -D "$dir/pg/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
*)
    echo "usage: scale-services.sh start|stop DIR" >&2
    exit 2
    ;;
esac
