#!/usr/bin/env bash
# The masking benchmark: a pgbench script selecting 10 rows of a table whose columns are
# masked (hash, partial, redact; one column clear), at 1 and 4 clients, DURATION seconds
# each, against one throwaway PostgreSQL, in the same run: directly; through the gateway on a
# target without rules; through the target with rules as a user who may unmask (the rules
# are looked up, nothing is masked); and as a user who may not (every row rewritten). Then
# pgbench -S (a table no rule names) through both targets: what rules cost statements that
# touch no masked column.
#
#   scripts/bench-masking.sh                # builds target/release/wicket if needed
#   DURATION=10 scripts/bench-masking.sh
#
# Needs PostgreSQL's server binaries (initdb, pg_ctl) and pgbench (Debian: postgresql,
# postgresql-contrib). Prints Markdown tables of TPS; logs go to error level only.
set -euo pipefail

DURATION=${DURATION:-10}
ROWS=${ROWS:-10000}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WICKET=${WICKET:-$TARGET_DIR/release/wicket}
PG_PORT=${PG_PORT:-55442}
GW_PORT=${GW_PORT:-55443}
HTTP_PORT=${HTTP_PORT:-57080}
PASSWORD=bench-upstream-secret

command -v pgbench >/dev/null || { echo "error: pgbench is not installed" >&2; exit 2; }
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
# `set -e`, Ctrl-C, a TERM or HUP): wicket and PostgreSQL; then the work directory goes.
cleanup() {
  trap - EXIT INT TERM HUP
  for p in "${pids[@]}"; do stop "$p"; done
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
  -o "-p $PG_PORT -k $work -c listen_addresses=127.0.0.1 -c max_connections=100" start >/dev/null
psql_su() { psql -X -q -h "$work" -p "$PG_PORT" -U postgres "$@"; }
psql_su -d postgres -c "CREATE ROLE bench LOGIN PASSWORD '$PASSWORD'" -c "CREATE DATABASE bench OWNER bench"
PGPASSWORD=$PASSWORD pgbench -q -i -s 1 -h 127.0.0.1 -p "$PG_PORT" -U bench bench >/dev/null 2>&1
PGPASSWORD=$PASSWORD psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U bench -d bench <<SQL
CREATE TABLE people (id int PRIMARY KEY, email text, card text, ssn text, age int, note text);
INSERT INTO people SELECT i, 'person' || i || '@example.com', lpad(i::text, 16, '4'),
  lpad(i::text, 9, '0'), 20 + i % 50, 'note ' || i FROM generate_series(1, $ROWS) i;
VACUUM ANALYZE people;
SQL
cat > "$work/masked.sql" <<SQL
\set id random(1, $((ROWS - 10)))
SELECT id, email, card, ssn, age, note FROM people WHERE id BETWEEN :id AND :id + 9;
SQL

echo "starting wicket with a gateway on $GW_PORT" >&2
printf 'masking-benchmark-key-0123456789\n' > "$work/mask.key"
cat > "$work/wicket.toml" <<TOML
[server]
listen = "127.0.0.1:$HTTP_PORT"
database = "sqlite://$work/wicket.db"

[[users]]
name = "masked"

[[users]]
name = "clear"

[[roles]]
name = "reader"
permissions = [{ actions = ["db:connect", "db:select", "db:metadata"], resources = ["postgres/**"] }]

[[roles]]
name = "unmasker"
permissions = [{ actions = ["db:unmask"], resources = ["postgres/**"] }]

[[bindings]]
subjects = ["user:masked", "user:clear"]
roles = ["reader"]

[[bindings]]
subjects = ["user:clear"]
roles = ["unmasker"]

[[gateway.postgres]]
name = "plain"
listen = "127.0.0.1:$GW_PORT"
resource = "postgres/plain"
upstream = "postgres://bench@127.0.0.1:$PG_PORT/bench"
password_env = "BENCH_UPSTREAM_PASSWORD"

[[gateway.postgres]]
name = "masked"
listen = "127.0.0.1:$GW_PORT"
resource = "postgres/masked"
upstream = "postgres://bench@127.0.0.1:$PG_PORT/bench"
password_env = "BENCH_UPSTREAM_PASSWORD"

[[gateway.postgres.masking]]
columns = ["public.people.email"]
method = "hash"
key_file = "$work/mask.key"

[[gateway.postgres.masking]]
columns = ["public.people.card", "public.people.age"]
method = "partial"
keep_trailing = 4

[[gateway.postgres.masking]]
columns = ["public.people.ssn"]
method = "redact"
TOML
MASKED=$("$WICKET" token create masked --config "$work/wicket.toml" --ttl 2h)
CLEAR=$("$WICKET" token create clear --config "$work/wicket.toml" --ttl 2h)
BENCH_UPSTREAM_PASSWORD=$PASSWORD RUST_LOG=error "$WICKET" serve --config "$work/wicket.toml" >"$work/wicket.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$GW_PORT") 2>/dev/null && break; sleep 0.1; done

WPID=${pids[0]}
TICK=$(getconf CLK_TCK)
# run PORT USER PASSWORD DBNAME ARGS...: pgbench's TPS; through the gateway (port GW_PORT),
# also the CPU time `wicket serve` spent per transaction, in µs (from /proc/PID/stat), which
# the other load on the machine disturbs far less than the TPS.
run() {
  local port=$1 user=$2 password=$3 db=$4; shift 4
  local before after out tps n
  before=$(awk '{print $14 + $15}' "/proc/$WPID/stat")
  out=$(PGPASSWORD=$password pgbench -n -h 127.0.0.1 -p "$port" -U "$user" "$@" "$db" 2>&1)
  after=$(awk '{print $14 + $15}' "/proc/$WPID/stat")
  tps=$(echo "$out" | sed -n 's/^tps = \([0-9]*\)[.0-9]* (.*$/\1/p')
  n=$(echo "$out" | sed -n 's/^number of transactions actually processed: \([0-9]*\).*$/\1/p')
  if [ "$port" = "$GW_PORT" ]; then
    echo "$tps ($(awk -v t=$((after - before)) -v n="${n:-0}" -v hz="$TICK" 'BEGIN { if (n > 0) printf "%.0f µs", t / hz / n * 1e6; else print "?" }'))"
  else
    echo "$tps"
  fi
}
ratio() { awk -v a="${1%% *}" -v b="${2%% *}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }

# Every row the masked user reads is masked.
sample=$(PGPASSWORD=$MASKED psql -X -A -t -h 127.0.0.1 -p "$GW_PORT" -U masked -d masked \
  -c "SELECT id, email, card, ssn, age, note FROM people WHERE id = 1")
echo "a masked row: $sample" >&2

echo
echo "TPS (wicket serve CPU per transaction)"
echo
echo "| 10 rows per statement | clients | direct TPS | gateway, no rules | rules, user unmasks | rules, masked | masked / no rules (TPS) |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
for clients in 1 4; do
  args=(-f "$work/masked.sql" -c "$clients" -j $(( clients < 2 ? 1 : 2 )) -T "$DURATION")
  d=$(run "$PG_PORT" bench "$PASSWORD" bench "${args[@]}")
  p=$(run "$GW_PORT" masked "$MASKED" plain "${args[@]}")
  u=$(run "$GW_PORT" clear "$CLEAR" masked "${args[@]}")
  m=$(run "$GW_PORT" masked "$MASKED" masked "${args[@]}")
  echo "| masked select | $clients | ${d:-?} | ${p:-?} | ${u:-?} | ${m:-?} | $(ratio "${m:-0}" "${p:-0}") |"
done

echo
echo "| pgbench -S (no masked column) | clients | gateway, no rules | gateway, rules | rules / no rules (TPS) |"
echo "| --- | --- | --- | --- | --- |"
for clients in 1 4; do
  args=(-S -c "$clients" -j $(( clients < 2 ? 1 : 2 )) -T "$DURATION")
  p=$(run "$GW_PORT" masked "$MASKED" plain "${args[@]}")
  m=$(run "$GW_PORT" masked "$MASKED" masked "${args[@]}")
  echo "| pgbench -S | $clients | ${p:-?} | ${m:-?} | $(ratio "${m:-0}" "${p:-0}") |"
done
echo
echo "machine: $(nproc) cores; duration ${DURATION}s per run; $ROWS rows"
