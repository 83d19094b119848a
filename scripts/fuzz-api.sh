#!/usr/bin/env bash
# Fuzzes the HTTP API from its own spec: starts a throwaway `wicket serve` (SQLite in a
# temporary directory, the example policy in examples/, a token minted with `wicket token
# create`), then runs Schemathesis (pinned, in a venv under target/) against /openapi.json
# with every check it has. Exits non-zero on any failure: a server error, a response the spec
# does not allow, a valid request refused as malformed, an invalid request accepted.
#
# It fuzzes once per user, each with their own token against the same server: alice asks for
# access (an SRE), dave breaks the glass (on call), carol reads the audit log and revokes
# grants (security).
#
#   scripts/fuzz-api.sh                       # builds target/debug/wicket first
#   WICKET=target/debug/wicket scripts/fuzz-api.sh   # that binary as it is (CI)
#   MAX_EXAMPLES=200 SEED=7 scripts/fuzz-api.sh      # more cases per operation (default 50)
#   FUZZ_USERS="alice" scripts/fuzz-api.sh    # whose tokens (default: alice dave carol)
#
# Needs Python 3 with venv and ensurepip (Debian: python3-venv), and PyPI the first time.
# Schemathesis's settings: scripts/schemathesis.toml.
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
MAX_EXAMPLES=${MAX_EXAMPLES:-50}
FUZZ_USERS=${FUZZ_USERS:-alice dave carol}
SEED=${SEED:-20260131}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [ -z "${PYTHON:-}" ]; then
  # The newest there is: Hypothesis and Schemathesis are tested most on recent Pythons.
  for candidate in python3.13 python3.12 python3; do
    if "$candidate" -c 'import venv, ensurepip' >/dev/null 2>&1; then PYTHON=$candidate; break; fi
  done
fi
[ -n "${PYTHON:-}" ] || { echo "error: no python3 with venv (Debian: python3-venv)" >&2; exit 2; }
VENV=$TARGET_DIR/schemathesis-$SCHEMATHESIS_VERSION-$("$PYTHON" -c 'import sys; print("py%d.%d" % sys.version_info[:2])')

if [ -z "${WICKET:-}" ]; then
  WICKET=$TARGET_DIR/debug/wicket
  (cd "$ROOT" && cargo build -p wicket-cli >&2)
fi
[ -x "$WICKET" ] || { echo "error: $WICKET is not there; build it with cargo build -p wicket-cli" >&2; exit 2; }
if [ ! -x "$VENV/bin/st" ]; then
  echo "installing schemathesis $SCHEMATHESIS_VERSION into $VENV" >&2
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
  # CPython before 3.11.8 and 3.12.1 can raise "SystemError: AST constructor recursion depth
  # mismatch" from `ast.parse` (python/cpython#106905), which Hypothesis calls only to name a
  # lambda in a message; a name is not worth a failed run, so that call falls back to
  # `<unknown>` there.
  site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  cat >"$site/_wicket_lambda_names.py" <<'PY'
import sys

if sys.version_info < (3, 11, 8) or (3, 12) <= sys.version_info < (3, 12, 1):
    try:
        from hypothesis.internal import lambda_sources

        _describe = lambda_sources._lambda_description

        def _lambda_description(f, *args, **kwargs):
            try:
                return _describe(f, *args, **kwargs)
            except SystemError:
                return "lambda: <unknown>"

        lambda_sources._lambda_description = _lambda_description
    except Exception:
        pass
PY
  echo "import _wicket_lambda_names" >"$site/_wicket_lambda_names.pth"
fi

work=$(mktemp -d /tmp/wicket-fuzz-XXXXXX)
server=
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export WICKET_CONFIG=$ROOT/examples/wicket.toml
export WICKET_DATABASE=sqlite://$work/wicket.db
RUST_LOG=${RUST_LOG:-error} "$WICKET" serve --listen "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
server=$!
base=http://127.0.0.1:$port
for _ in $(seq 1 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('$base/healthz', timeout=1)" 2>/dev/null && break
  kill -0 "$server" 2>/dev/null || { cat "$work/serve.log" >&2; exit 2; }
  sleep 0.1
done

status=0
for user in $FUZZ_USERS; do
  token=$("$WICKET" token create "$user" --ttl 1d)
  echo "fuzzing $base as $user: schemathesis $SCHEMATHESIS_VERSION, $MAX_EXAMPLES examples per operation, seed $SEED" >&2
  (cd "$work" && "$VENV/bin/st" --config-file "$ROOT/scripts/schemathesis.toml" run "$base/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks all \
    --max-examples "$MAX_EXAMPLES" \
    --seed "$SEED" \
    --workers 2 \
    --no-color \
    --report junit --report-junit-path "$TARGET_DIR/fuzz-api-report/$user.xml") || status=$?
done
if grep -qi "panicked" "$work/serve.log"; then
  echo "error: the server panicked:" >&2
  grep -i -A5 "panicked" "$work/serve.log" >&2
  status=1
fi
exit "$status"
