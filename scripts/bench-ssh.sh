#!/usr/bin/env bash
# The SSH gateway benchmark, side by side in one run against one throwaway sshd: new sessions
# per second (`ssh HOST true`, one after another) and the time to write 100 MiB of text to the client,
# directly and through the wicket gateway (which records every byte of output).
#
#   scripts/bench-ssh.sh                 # builds target/release/wicket if needed
#   SESSIONS=50 ROUNDS=3 scripts/bench-ssh.sh
#
# Needs OpenSSH (Debian: openssh-server, openssh-client). Prints a Markdown table.
set -euo pipefail

SESSIONS=${SESSIONS:-50}
ROUNDS=${ROUNDS:-2}
MIB=${MIB:-100}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
WICKET=${WICKET:-$TARGET_DIR/release/wicket}
[ -x /usr/sbin/sshd ] || { echo "error: sshd is not installed (openssh-server)" >&2; exit 2; }
if [ ! -x "$WICKET" ]; then
  echo "building $WICKET" >&2
  (cd "$ROOT" && cargo build --release -p wicket-cli >&2)
fi

work=$(mktemp -d /tmp/wicket-bench-ssh-XXXXXX)
pids=()
# stop PID: asks it to end, waits up to 10 s, then kills it.
stop() {
  kill "$1" 2>/dev/null || return 0
  for _ in $(seq 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$1" 2>/dev/null || true
}
# Everything this script started (sshd, wicket) is stopped when it ends, however it ends (an
# error under `set -e`, Ctrl-C, a TERM or HUP); then the work directory goes.
cleanup() {
  trap - EXIT INT TERM HUP
  for p in "${pids[@]}"; do stop "$p"; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
login=$(id -un)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

for k in host_key upstream_key gateway_host_key alice; do ssh-keygen -q -t ed25519 -N '' -f "$work/$k"; done
"$WICKET" ssh keygen --out "$work/ca" >/dev/null 2>&1
mkdir -p "$work/principals" /run/sshd
echo "ssh/bench/host-1/$login" > "$work/principals/$login"
sshd_port=$(free_port)
cat > "$work/sshd_config" <<CONF
Port $sshd_port
ListenAddress 127.0.0.1
HostKey $work/host_key
PidFile $work/sshd.pid
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
StrictModes no
PermitRootLogin prohibit-password
AuthorizedKeysFile $work/upstream_key.pub
TrustedUserCAKeys $work/ca.pub
AuthorizedPrincipalsFile $work/principals/%u
MaxStartups 500
LogLevel ERROR
CONF
/usr/sbin/sshd -D -e -f "$work/sshd_config" 2>"$work/sshd.log" &
pids+=($!)

cat > "$work/wicket.toml" <<CONF
[ssh]
ca_key = "$work/ca"

[[users]]
name = "alice"
groups = ["sre"]

[[roles]]
name = "host-login"
description = "Log in to host-1"
permissions = [{ actions = ["ssh:login"], resources = ["ssh/bench/host-1/$login"] }]

[[policies]]
name = "self-service"
requesters = ["group:sre"]
roles = ["host-login"]
max_duration = "4h"
require_reason = false

[[gateway.ssh]]
name = "host-1"
listen = "127.0.0.1:0"
resource = "ssh/bench/host-1"
upstream_host = "127.0.0.1"
upstream_port = $sshd_port
upstream_host_key = "$(cut -d' ' -f1-2 "$work/host_key.pub")"
upstream_key_file = "$work/upstream_key"
host_key_file = "$work/gateway_host_key"
recordings = "$work/recordings"
CONF
RUST_LOG=error "$WICKET" serve --config "$work/wicket.toml" --database "sqlite://$work/w.db" \
  --listen 127.0.0.1:0 >"$work/serve.out" 2>"$work/serve.log" &
pids+=($!)
for _ in $(seq 300); do grep -q '^listening on' "$work/serve.out" 2>/dev/null && break; sleep 0.1; done
export WICKET_SERVER=$(sed -n 's/^listening on //p' "$work/serve.out")
gw_port=$(sed -n 's/^ssh gateway target `host-1` on ssh:\/\/127.0.0.1://p' "$work/serve.out")
export WICKET_TOKEN=$("$WICKET" token create alice --config "$work/wicket.toml" --database "sqlite://$work/w.db")
"$WICKET" request create host-login --duration 4h >/dev/null
"$WICKET" ssh cert --key "$work/alice" >/dev/null 2>&1

ssh_to() {
  local port=$1; shift
  ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
    -o BatchMode=yes -o IdentitiesOnly=yes -i "$work/alice" -p "$port" "$login@127.0.0.1" "$@" </dev/null
}
now() { date +%s.%N; }
sessions_per_second() {
  local port=$1 start end
  start=$(now)
  for _ in $(seq "$SESSIONS"); do ssh_to "$port" true; done
  end=$(now)
  python3 -c "print(f'{$SESSIONS/($end-$start):.1f}')"
}
cat_mib_per_second() {
  local port=$1 best=0 start end bytes rate
  for _ in $(seq "$ROUNDS"); do
    start=$(now)
    bytes=$(ssh_to "$port" "yes abcdefghijklmnopqrstuvwxyz0123456789 | head -c $((MIB * 1048576))" | wc -c)
    end=$(now)
    [ "$bytes" = $((MIB * 1048576)) ] || { echo "error: got $bytes bytes from port $port" >&2; exit 1; }
    rate=$(python3 -c "print(f'{$MIB/($end-$start):.1f}')")
    best=$(python3 -c "print(max($best, $rate))")
  done
  echo "$best"
}
d_s=$(sessions_per_second "$sshd_port"); g_s=$(sessions_per_second "$gw_port")
d_c=$(cat_mib_per_second "$sshd_port"); g_c=$(cat_mib_per_second "$gw_port")
ratio() { python3 -c "print(f'{$1/$2:.2f}')"; }
echo "| measure | direct sshd | through the gateway | gateway / direct |"
echo "| --- | --- | --- | --- |"
echo "| new sessions/s (\`ssh HOST true\`, $SESSIONS in a row) | $d_s | $g_s | $(ratio "$g_s" "$d_s") |"
echo "| $MIB MiB of output (\`yes | head -c\`), MiB/s (best of $ROUNDS) | $d_c | $g_c | $(ratio "$g_c" "$d_c") |"
echo
echo "recording of the gateway's sessions: $(du -sh "$work/recordings" | cut -f1)"
