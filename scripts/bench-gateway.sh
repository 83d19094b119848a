#!/usr/bin/env bash
# The gateway benchmark: pgbench -S (read-only) and pgbench's default TPC-B-like script, at 1
# and 10 clients, DURATION seconds each, against one throwaway PostgreSQL: directly, through
# the wicket gateway (every statement parsed, authorized and audited), and through PgBouncer
# in session mode, side by side in the same run. Then new connections per second (pgbench -C),
# through the gateway with upstream connections reused and with a new one per session.
#
#   scripts/bench-gateway.sh                # builds target/release/wicket if needed
#   DURATION=10 SCALE=5 scripts/bench-gateway.sh
#
# Needs PostgreSQL's server binaries (initdb, pg_ctl), pgbench and pgbouncer (Debian:
# postgresql, postgresql-contrib, pgbouncer). Prints a Markdown table of TPS and ratios to
# direct, with the CPU time (user and system, from /proc/PID/stat) that the whole `wicket
# serve` process and PgBouncer used per transaction; logs go to error level only, as the house
# style asks of benchmarks.
set -euo pipefail

DURATION=${DURATION:-30}
CONNECT_DURATION=${CONNECT_DURATION:-10}
SCALE=${SCALE:-10}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WICKET=${WICKET:-$TARGET_DIR/release/wicket}
PG_PORT=${PG_PORT:-55432}
GW_PORT=${GW_PORT:-55433}
GW_FRESH_PORT=${GW_FRESH_PORT:-55435}
BOUNCER_PORT=${BOUNCER_PORT:-55434}
HTTP_PORT=${HTTP_PORT:-57070}
PASSWORD=bench-upstream-secret

for tool in pgbench pgbouncer; do
  command -v "$tool" >/dev/null || { echo "error: $tool is not installed" >&2; exit 2; }
done
BINDIR=$(pg_config --bindir 2>/dev/null || true)
[ -x "$BINDIR/initdb" ] || BINDIR=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$BINDIR/initdb" ] || { echo "error: initdb not found (install postgresql)" >&2; exit 2; }
if [ ! -x "$WICKET" ]; then
  echo "building $WICKET" >&2
  (cd "$ROOT" && cargo build --release -p wicket-cli >&2)
fi

work=$(mktemp -d /tmp/wicket-bench-XXXXXX)
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
pids=()
# stop PID: asks it to end, waits up to 10 s, then kills it.
stop() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}
# Everything this script started is stopped when it ends, however it ends (an error under
# `set -e`, Ctrl-C, a TERM or HUP): wicket, PgBouncer (a daemon, found by its pid file) and
# PostgreSQL; then the work directory goes.
cleanup() {
  trap - EXIT INT TERM HUP
  for p in "${pids[@]}"; do stop "$p"; done
  [ -s "$work/pgbouncer.pid" ] && stop "$(cat "$work/pgbouncer.pid")"
  [ -f "$work/data/postmaster.pid" ] && as_pg "$BINDIR/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

echo "starting PostgreSQL on $PG_PORT" >&2
as_pg "$BINDIR/initdb" -D "$work/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 >/dev/null
as_pg "$BINDIR/pg_ctl" -D "$work/data" -l "$work/pg.log" -w \
  -o "-p $PG_PORT -k $work -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
psql_su() { psql -X -q -h "$work" -p "$PG_PORT" -U postgres "$@"; }
psql_su -d postgres -c "CREATE ROLE bench LOGIN PASSWORD '$PASSWORD'" -c "CREATE DATABASE bench OWNER bench"
PGPASSWORD=$PASSWORD pgbench -q -i -s "$SCALE" -h 127.0.0.1 -p "$PG_PORT" -U bench bench >/dev/null 2>&1
psql_su -d bench -c "VACUUM ANALYZE" >/dev/null

echo "starting wicket with a gateway on $GW_PORT" >&2
cat > "$work/wicket.toml" <<TOML
[server]
listen = "127.0.0.1:$HTTP_PORT"
database = "sqlite://$work/wicket.db"

[[users]]
name = "bench"

[[roles]]
name = "bench-rw"
permissions = [{ actions = ["db:connect", "db:select", "db:insert", "db:update", "db:delete"], resources = ["postgres/bench/**"] }]

[[bindings]]
subjects = ["user:bench"]
roles = ["bench-rw"]

[[gateway.postgres]]
name = "bench"
listen = "127.0.0.1:$GW_PORT"
resource = "postgres/bench"
upstream = "postgres://bench@127.0.0.1:$PG_PORT/bench"
password_env = "BENCH_UPSTREAM_PASSWORD"

# The same database, each session on an upstream connection of its own (for new connections).
[[gateway.postgres]]
name = "bench_fresh"
listen = "127.0.0.1:$GW_FRESH_PORT"
resource = "postgres/bench"
upstream = "postgres://bench@127.0.0.1:$PG_PORT/bench"
password_env = "BENCH_UPSTREAM_PASSWORD"
reuse_upstream = false
TOML
TOKEN=$("$WICKET" token create bench --config "$work/wicket.toml" --ttl 2h)
BENCH_UPSTREAM_PASSWORD=$PASSWORD RUST_LOG=error "$WICKET" serve --config "$work/wicket.toml" >"$work/wicket.out" 2>&1 &
pids+=($!)

echo "starting PgBouncer (session mode) on $BOUNCER_PORT" >&2
cat > "$work/pgbouncer.ini" <<INI
[databases]
bench = host=127.0.0.1 port=$PG_PORT dbname=bench user=bench password=$PASSWORD

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir =
auth_type = scram-sha-256
auth_file = $work/userlist.txt
pool_mode = session
max_client_conn = 200
default_pool_size = 20
logfile = $work/pgbouncer.log
pidfile = $work/pgbouncer.pid
log_connections = 0
log_disconnections = 0
INI
echo "\"bench\" \"$PASSWORD\"" > "$work/userlist.txt"
[ "$(id -u)" = 0 ] && chown postgres "$work"/pgbouncer.ini "$work"/userlist.txt
as_pg pgbouncer -d "$work/pgbouncer.ini"
# The daemon writes its pid file once it has detached: wait for it, so that it can be stopped.
for _ in $(seq 100); do [ -s "$work/pgbouncer.pid" ] && break; sleep 0.1; done
[ -s "$work/pgbouncer.pid" ] || { echo "error: PgBouncer did not start (see its log)" >&2; cat "$work/pgbouncer.log" >&2; exit 1; }

for port in "$GW_PORT" "$GW_FRESH_PORT" "$BOUNCER_PORT"; do
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
done

# CPU time (user + system, in clock ticks) the process PID has used so far.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
# run PORT PASSWORD PID ARGS...: pgbench's TPS (without initial connection time) on database
# $DB (bench unless set), then the CPU time process PID (the proxy; `-` for none) used per
# transaction, in µs.
run() {
  local port=$1 password=$2 pid=$3; shift 3
  local before=0 after=0 out
  [ "$pid" != - ] && before=$(ticks "$pid")
  out=$(PGPASSWORD=$password pgbench -n -h 127.0.0.1 -p "$port" -U bench "$@" "${DB:-bench}" 2>&1)
  [ "$pid" != - ] && after=$(ticks "$pid")
  local tps n
  tps=$(sed -n 's/^tps = \([0-9.]*\) (.*$/\1/p' <<<"$out")
  n=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*$/\1/p' <<<"$out")
  awk -v tps="${tps:-?}" -v n="${n:-0}" -v d=$((after - before)) -v hz="$HZ" -v pid="$pid" \
    'BEGIN { if (pid == "-" || n == 0) print tps, "-"; else printf "%s %.1f\n", tps, d / hz * 1e6 / n }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

echo
wicket_pid=${pids[0]}
bouncer_pid=$(cat "$work/pgbouncer.pid")
echo "| workload | clients | direct TPS | gateway TPS | gateway / direct | PgBouncer TPS | PgBouncer / direct | gateway CPU µs/transaction | PgBouncer CPU µs/transaction |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for mode in select tpcb; do
  flags=(); [ "$mode" = select ] && flags=(-S)
  for clients in 1 10; do
    threads=$(( clients < 2 ? 1 : 2 ))
    args=("${flags[@]}" -c "$clients" -j "$threads" -T "$DURATION")
    read -r d _ < <(run "$PG_PORT" "$PASSWORD" - "${args[@]}")
    read -r g gcpu < <(run "$GW_PORT" "$TOKEN" "$wicket_pid" "${args[@]}")
    read -r b bcpu < <(run "$BOUNCER_PORT" "$PASSWORD" "$bouncer_pid" "${args[@]}")
    name=$([ "$mode" = select ] && echo "pgbench -S" || echo "pgbench (TPC-B-like)")
    echo "| $name | $clients | ${d:-?} | ${g:-?} | $(ratio "${g:-0}" "${d:-0}") | ${b:-?} | $(ratio "${b:-0}" "${d:-0}") | ${gcpu:-?} | ${bcpu:-?} |"
  done
done

echo
echo "| new connections (pgbench -C -S, 4 clients) | per second | ratio to direct |"
echo "| --- | --- | --- |"
cargs=(-C -S -c 4 -j 2 -T "$CONNECT_DURATION")
read -r d _ < <(run "$PG_PORT" "$PASSWORD" - "${cargs[@]}")
read -r g _ < <(run "$GW_PORT" "$TOKEN" - "${cargs[@]}")
read -r f _ < <(DB=bench_fresh run "$GW_FRESH_PORT" "$TOKEN" - "${cargs[@]}")
read -r b _ < <(run "$BOUNCER_PORT" "$PASSWORD" - "${cargs[@]}")
echo "| direct | ${d:-?} | 1.00 |"
echo "| gateway, upstream connections reused | ${g:-?} | $(ratio "${g:-0}" "${d:-0}") |"
echo "| gateway, a new upstream connection per session | ${f:-?} | $(ratio "${f:-0}" "${d:-0}") |"
echo "| PgBouncer | ${b:-?} | $(ratio "${b:-0}" "${d:-0}") |"

events=$(sqlite3 "$work/wicket.db" "SELECT count(*) FROM audit_events WHERE kind = 'gateway.statement'" 2>/dev/null || echo "?")
echo
echo "gateway statements audited: $events; machine: $(nproc) cores; duration ${DURATION}s per run; scale $SCALE" 
