#!/usr/bin/env bash
# PostgreSQL's own regression suite (pg_regress, the parallel schedule) against one throwaway
# cluster: first directly as its superuser, then through a `wicket serve` gateway as a wicket
# user holding `db:*` on the target (the gateway's upstream role being that superuser). Prints
# every test whose outcome differs and the counts.
#
#   scripts/pg-regress.sh                     # builds target/release/wicket if needed
#   WICKET=target/debug/wicket scripts/pg-regress.sh
#   TESTS="copy numerology" scripts/pg-regress.sh   # only these tests (after the schedule's setup)
#   REUSE=false scripts/pg-regress.sh         # every session on an upstream connection of its own
#
# The suite must match the server it runs against, test for test, so the script uses one
# PostgreSQL 15 version for source and binaries: the installed one when Debian's mirror still
# has its source, else the newest version the mirror has both of. It fetches Debian's source
# tarball and binary packages with curl and apt-get download, unpacks the binaries (server,
# psql, libpq, headers) privately and builds the suite's C module `regress.so`, all under
# CACHE (target/pg-regress). Needs gcc, curl, apt-get, dpkg, bzip2 and python3. As root, the cluster and
# pg_regress run as the user `postgres` (the server writes the suite's files with COPY TO).
#
# pg_regress runs with --use-existing against a database `regression` created beforehand with
# the settings pg_regress gives it when it creates it itself (lc_*, bytea_output,
# timezone_abbreviations): the gateway serves one database per target, so the client does not
# create or drop databases it then connects to.
#
# Exit status: 0 when every test that passes directly passes through the gateway, except the
# documented limits in KNOWN_LIMITS; 1 otherwise.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WICKET=${WICKET:-$TARGET_DIR/release/wicket}
CACHE=${CACHE:-$TARGET_DIR/pg-regress}
# Ports the kernel reports free (other clusters may run on this machine), unless given.
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
PG_PORT=${PG_PORT:-$(free_port)}
GW_PORT=${GW_PORT:-$(free_port)}
HTTP_PORT=${HTTP_PORT:-$(free_port)}
MIRROR=${MIRROR:-http://deb.debian.org}
TESTS=${TESTS:-}
# Whether the gateway reuses upstream connections between sessions (`reuse_upstream`, on by
# default, as in wicket).
REUSE=${REUSE:-true}
# Tests that differ through the gateway for a documented reason (README, "PostgreSQL's
# regression suite"): create_schema, because the gateway pins `search_path` to `public`, so a
# notice names a table in the schema of the current role with its schema; and with reuse,
# temp, where a `PREPARE TRANSACTION` that fails either way fails with another error on a
# server process that an earlier session used (its temporary schema already exists).
if [ "$REUSE" = true ]; then
  KNOWN_LIMITS=${KNOWN_LIMITS:-create_schema temp}
else
  KNOWN_LIMITS=${KNOWN_LIMITS:-create_schema}
fi
PASSWORD=regress-upstream-secret

for tool in gcc curl apt-get apt-cache dpkg bzip2 python3; do
  command -v "$tool" >/dev/null || { echo "error: $tool is not installed" >&2; exit 2; }
done
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)

# The version: the installed server's when its source is on the mirror, else the newest the
# mirror has (apt-cache madison lists what the configured suites offer).
pool() { # VERSION -> URL of the orig tarball, if the mirror has it
  local upstream=${1%%-*}
  for p in debian/pool/main debian-security/pool/updates/main; do
    local u="$MIRROR/$p/p/postgresql-15/postgresql-15_$upstream.orig.tar.bz2"
    if curl -fsI "$u" >/dev/null 2>&1; then echo "$u"; return 0; fi
  done
  return 1
}
installed=$(dpkg-query -W -f '${Version}' postgresql-15 2>/dev/null || true)
versions=$( { [ -n "$installed" ] && echo "$installed"; apt-cache madison postgresql-15 | awk '{print $3}'; } | awk '!seen[$0]++')
VERSION=${PG_VERSION:-}
URL=
if [ -n "$VERSION" ]; then
  URL=$(pool "$VERSION") || { echo "error: no source of postgresql-15 $VERSION on $MIRROR" >&2; exit 2; }
else
  for v in $versions; do
    if [ -f "$CACHE/$v/ready" ]; then VERSION=$v; break; fi
    if URL=$(pool "$v"); then VERSION=$v; break; fi
  done
fi
[ -n "$VERSION" ] || { echo "error: $MIRROR has the source of none of: $versions" >&2; exit 2; }
UPSTREAM=${VERSION%%-*}
V=$CACHE/$VERSION
[ "$VERSION" = "$installed" ] || echo "note: using PostgreSQL $VERSION (installed: ${installed:-none}); its source is what the mirror has" >&2

if [ ! -f "$V/ready" ]; then
  echo "fetching PostgreSQL $VERSION's source and binaries into $V" >&2
  rm -rf "$V"; mkdir -p "$V/debs" "$V/root" "$V/lib"
  curl -fsSL -o "$V/src.tar.bz2" "$URL"
  tar -xjf "$V/src.tar.bz2" -C "$V" "postgresql-$UPSTREAM/src/test/regress"
  (cd "$V/debs" && apt-get download -q "postgresql-15=$VERSION" "postgresql-client-15=$VERSION" \
    "libpq5=$VERSION" "postgresql-server-dev-15=$VERSION" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
  for d in "$V"/debs/*.deb; do dpkg -x "$d" "$V/root"; done
  inc=$V/root/usr/include/postgresql
  gcc -O2 -fPIC -shared -I"$inc/15/server" -I"$inc/internal" -o "$V/lib/regress.so" \
    "$V/postgresql-$UPSTREAM/src/test/regress/regress.c"
  cp "$V/root/usr/lib/postgresql/15/lib/autoinc.so" "$V/root/usr/lib/postgresql/15/lib/refint.so" "$V/lib/"
  rm -f "$V/src.tar.bz2"
  touch "$V/ready"
fi
BINDIR=$V/root/usr/lib/postgresql/15/bin
PG_REGRESS=$V/root/usr/lib/postgresql/15/lib/pgxs/src/test/regress/pg_regress
SRC=$V/postgresql-$UPSTREAM/src/test/regress
export LD_LIBRARY_PATH=$V/root/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

if [ ! -x "$WICKET" ]; then
  echo "building $WICKET" >&2
  (cd "$ROOT" && cargo build --release -p wicket-cli >&2)
fi

work=$(mktemp -d /tmp/wicket-regress-XXXXXX)
chmod 755 "$work"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- env LD_LIBRARY_PATH="$LD_LIBRARY_PATH" "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  as_pg "$BINDIR/pg_ctl" -D "$work/data" -m fast stop >/dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] && { echo "kept $work" >&2; return; }
  rm -rf "$work"
}
trap cleanup EXIT

echo "starting PostgreSQL $VERSION on $PG_PORT" >&2
as_pg "$BINDIR/initdb" -D "$work/data" -U postgres --no-locale -E UTF8 \
  --auth-local=trust --auth-host=scram-sha-256 >/dev/null
as_pg "$BINDIR/pg_ctl" -D "$work/data" -l "$work/pg.log" -w \
  -o "-p $PG_PORT -k $work -c listen_addresses=127.0.0.1 -c max_connections=100" start >/dev/null
as_pg "$BINDIR/psql" -X -q -h "$work" -p "$PG_PORT" -U postgres -d postgres \
  -c "ALTER ROLE postgres PASSWORD '$PASSWORD'"

# A fresh `regression` database, as pg_regress makes it.
fresh_db() {
  as_pg "$BINDIR/psql" -X -q -h "$work" -p "$PG_PORT" -U postgres -d postgres <<SQL
SET client_min_messages = warning;
DROP DATABASE IF EXISTS regression;
CREATE DATABASE regression TEMPLATE=template0;
ALTER DATABASE regression SET lc_messages TO 'C';
ALTER DATABASE regression SET lc_monetary TO 'C';
ALTER DATABASE regression SET lc_numeric TO 'C';
ALTER DATABASE regression SET lc_time TO 'C';
ALTER DATABASE regression SET bytea_output TO 'hex';
ALTER DATABASE regression SET timezone_abbreviations TO 'Default';
SQL
}

# The tests to run: the whole parallel schedule, or TESTS after the schedule's setup tests
# (test_setup and create_index hold what the others read).
schedule=(--schedule="$SRC/parallel_schedule")
[ -n "$TESTS" ] && schedule=(test_setup create_index $TESTS)

# run NAME PORT USER PASSWORD: pg_regress into $work/NAME.
run() {
  local name=$1 port=$2 user=$3 password=$4
  mkdir -p "$work/$name"
  [ "$(id -u)" = 0 ] && chown postgres "$work/$name"
  fresh_db
  echo "running pg_regress $name" >&2
  (cd "$work/$name" && as_pg env PGHOST=127.0.0.1 PGPORT="$port" PGUSER="$user" PGPASSWORD="$password" \
    "$PG_REGRESS" --use-existing --inputdir="$SRC" --outputdir="$work/$name" --bindir="$BINDIR" \
    --dlpath="$V/lib" --max-concurrent-tests=20 "${schedule[@]}" >"$work/$name.out" 2>&1) || true
  # One line per test: NAME ok|FAILED.
  sed -nE 's/^(test| +)? *([a-z0-9_.]+) +\.\.\. +(ok|FAILED|failed \(ignored\)).*/\2 \3/p' \
    "$work/$name.out" | sort >"$work/$name.list"
}

run direct "$PG_PORT" postgres "$PASSWORD"

echo "starting wicket with a gateway on $GW_PORT" >&2
cat >"$work/wicket.toml" <<TOML
[server]
listen = "127.0.0.1:$HTTP_PORT"
database = "sqlite://$work/wicket.db"

[[users]]
name = "regress"

[[roles]]
name = "regression-all"
permissions = [{ actions = ["db:*"], resources = ["postgres/regression", "postgres/regression/**"] }]

[[bindings]]
subjects = ["user:regress"]
roles = ["regression-all"]

[[gateway.postgres]]
name = "regression"
listen = "127.0.0.1:$GW_PORT"
resource = "postgres/regression"
upstream = "postgres://postgres@127.0.0.1:$PG_PORT/regression"
password_env = "REGRESS_UPSTREAM_PASSWORD"
reuse_upstream = $REUSE
TOML
TOKEN=$("$WICKET" token create regress --config "$work/wicket.toml" --ttl 4h)
REGRESS_UPSTREAM_PASSWORD=$PASSWORD RUST_LOG=${RUST_LOG:-warn} "$WICKET" serve --config "$work/wicket.toml" \
  >"$work/wicket.out" 2>&1 &
pids+=($!)
for _ in $(seq 300); do (exec 3<>"/dev/tcp/127.0.0.1/$GW_PORT") 2>/dev/null && break; sleep 0.1; done

run gateway "$GW_PORT" regress "$TOKEN"

direct_total=$(wc -l <"$work/direct.list")
direct_ok=$(grep -c ' ok$' "$work/direct.list" || true)
gateway_ok=$(grep -c ' ok$' "$work/gateway.list" || true)
# Tests that pass directly but not through the gateway, and the other way round.
differ=$(join "$work/direct.list" "$work/gateway.list" | awk '$2 != $3 { print $1 " (directly " $2 ", through the gateway " $3 ")" }')
missing=$(join -v1 "$work/direct.list" "$work/gateway.list" | awk '{print $1 " (not run through the gateway)"}')

echo
echo "PostgreSQL $VERSION regression suite: $direct_ok of $direct_total pass directly, $gateway_ok of $direct_total through the gateway"
unexpected=0
if [ -n "$differ$missing" ]; then
  echo "tests whose outcome differs:"
  while read -r line; do
    [ -n "$line" ] || continue
    t=${line%% *}
    if [[ " $KNOWN_LIMITS " == *" $t "* ]]; then echo "  $line: documented limit"; else echo "  $line"; unexpected=1; fi
  done <<<"$(printf '%s\n%s\n' "$differ" "$missing")"
fi
if [ -n "${KEEP:-}" ] || [ "$unexpected" = 1 ]; then
  KEEP=1
  echo "diffs: $work/gateway/regression.diffs (gateway), $work/direct/regression.diffs (direct); wicket log: $work/wicket.out"
fi
exit "$unexpected"
