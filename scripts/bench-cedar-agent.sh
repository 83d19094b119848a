#!/usr/bin/env bash
# Wicket's `/v1/check` against cedar-agent (the HTTP server published for Cedar, from
# crates.io), side by side in one run: the same generated workload at 100 and 1,000 roles, the
# same 10,000 checks, the same load generator (`target/release/cedar_http`). cedar-agent is
# installed with `cargo install` (0.2.0, its latest release) into
# target-bench/cedar-agent the first time.
#
#   scripts/bench-cedar-agent.sh
#   ROLES=100 CONNECTIONS=1,16 DURATION=5 scripts/bench-cedar-agent.sh
#   DRIVER=wrk scripts/bench-cedar-agent.sh      # requests sent by wrk instead
#
# Prints a Markdown table. Each server runs only while it is measured; the benchmark stops
# both however it ends.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
AGENT_ROOT=${AGENT_ROOT:-$ROOT/target-bench/cedar-agent}
CEDAR_AGENT=${CEDAR_AGENT:-$AGENT_ROOT/bin/cedar-agent}
if [ ! -x "$CEDAR_AGENT" ]; then
  echo "installing cedar-agent into $AGENT_ROOT" >&2
  cargo install cedar-agent --version 0.2.0 --root "$AGENT_ROOT" >&2
fi
(cd "$ROOT" && cargo build --release -p wicket-cli -p wicket-bench --bin wicket --bin cedar_http >&2)
exec "$TARGET_DIR/release/cedar_http" --cedar-agent "$CEDAR_AGENT" \
  --roles "${ROLES:-100,1000}" --connections "${CONNECTIONS:-16}" \
  --duration "${DURATION:-10}" --warmup "${WARMUP:-2}" --driver "${DRIVER:-builtin}"
