#!/usr/bin/env bash
# Installs what a fresh Debian machine with Rust lacks, then (optionally) runs Wicket or its
# tests: the README's two commands.
#
#   scripts/setup.sh serve   # build needs only, then: cargo run --release --bin wicket -- serve --config examples/wicket.toml
#   scripts/setup.sh test    # everything the tests drive, then: cargo test --workspace
#   scripts/setup.sh         # everything the tests drive, and nothing else (what .ci/run does)
#   scripts/setup.sh check   # lists what is missing, installs nothing (exit 1 if anything is)
#
# Debian packages come from apt-get (as root, or through sudo); the Python drivers go into a
# virtual environment in target/pyenv and node-postgres into crates/gateway/tests/clients/js,
# each made again only when its pins change.
set -euo pipefail
cd "$(dirname "$0")/.."

what="${1:-deps}"
case "$what" in
  serve | test | deps | check) ;;
  *)
    echo "usage: scripts/setup.sh [serve|test|check]" >&2
    exit 2
    ;;
esac

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is missing: install Rust 1.89 or newer first (https://rustup.rs; Debian's own is older)" >&2
  exit 1
fi

missing=()
# Building: a C compiler and pkg-config for the native crates; the gateway parses SQL with
# PostgreSQL's own grammar (pg_query), which bindgen builds against libclang.
command -v cc >/dev/null 2>&1 || missing+=(gcc)
command -v make >/dev/null 2>&1 || missing+=(make)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
dpkg -s libclang-dev >/dev/null 2>&1 || missing+=(libclang-dev)

if [ "$what" != serve ]; then
  # The PostgreSQL tests start a throwaway cluster with the server's own binaries (`initdb`,
  # `pg_ctl`; Debian keeps them in /usr/lib/postgresql/*/bin).
  if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    missing+=(postgresql)
  fi
  command -v psql >/dev/null 2>&1 || missing+=(postgresql-client)
  # Tests break the SQLite audit table behind the server's back with the sqlite3 shell.
  command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
  # The gateway's TLS test makes its certificate with openssl.
  command -v openssl >/dev/null 2>&1 || missing+=(openssl)
  # The SSH tests start a throwaway `sshd` and log in with OpenSSH's `ssh`, `scp` and `sftp`.
  [ -x /usr/sbin/sshd ] || missing+=(openssh-server)
  command -v ssh >/dev/null 2>&1 || missing+=(openssh-client)
  # The web UI is tested end to end in a real headless Chromium.
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
  # The HTTP benchmark can be driven by wrk; a test checks the requests it sends.
  command -v wrk >/dev/null 2>&1 || missing+=(wrk)
  # The gateway's tests drive the real clients people use (crates/gateway/tests/gateway/clients):
  # pgx and pgjdbc as Debian packages, with Go and a JDK to build their test programs;
  # node-postgres from npm; psycopg, asyncpg and SQLAlchemy from PyPI in a virtual environment
  # (psycopg's pure-Python implementation also loads the system's libpq).
  command -v go >/dev/null 2>&1 || missing+=(golang-go)
  [ -d /usr/share/gocode/src/github.com/jackc/pgx/v4 ] || missing+=(golang-github-jackc-pgx-v4-dev)
  command -v javac >/dev/null 2>&1 || missing+=(default-jdk-headless)
  [ -f /usr/share/java/postgresql.jar ] || missing+=(libpostgresql-jdbc-java)
  command -v node >/dev/null 2>&1 || missing+=(nodejs)
  command -v npm >/dev/null 2>&1 || missing+=(npm)
  python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || missing+=(python3-venv)
  ldconfig -p 2>/dev/null | grep 'libpq\.so\.5 ' >/dev/null || missing+=(libpq5)
  # `wicket completion` is tried in the shells it completes for; `wicket man` is rendered by groff.
  command -v bash >/dev/null 2>&1 || missing+=(bash)
  command -v zsh >/dev/null 2>&1 || missing+=(zsh)
  command -v fish >/dev/null 2>&1 || missing+=(fish)
  command -v groff >/dev/null 2>&1 || missing+=(groff-base)
  # Progress bars are tried on a real terminal: `script` (util-linux) gives the command one.
  command -v script >/dev/null 2>&1 || missing+=(bsdutils)
fi

if [ "$what" = check ]; then
  [ -x target/pyenv/bin/python ] || missing+=("target/pyenv (python3 -m venv)")
  [ -d crates/gateway/tests/clients/js/node_modules ] || missing+=("node-postgres (npm ci)")
  [ -d crates/server/tests/oidc/provider/node_modules ] || missing+=("oidc-provider (npm ci)")
  if [ ${#missing[@]} -gt 0 ]; then
    echo "missing: ${missing[*]}"
    exit 1
  fi
  echo "nothing missing"
  exit 0
fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "need root to install ${missing[*]}: run this as root, or install them yourself" >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}"
fi

if [ "$what" != serve ]; then
  # The Python clients, pinned, in target/pyenv; made again only when the pins change.
  pyenv=target/pyenv
  requirements=crates/gateway/tests/clients/python/requirements.txt
  if [ ! -x "$pyenv/bin/python" ] || ! cmp -s "$requirements" "$pyenv/requirements.txt"; then
    python3 -m venv "$pyenv"
    "$pyenv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$pyenv/requirements.txt"
  fi
  # node-postgres, exactly as the lock file says; installed again only when it changes.
  js=crates/gateway/tests/clients/js
  if ! cmp -s "$js/package-lock.json" "$js/node_modules/.wicket-installed-lock"; then
    (cd "$js" && npm ci --no-audit --no-fund --silent)
    cp "$js/package-lock.json" "$js/node_modules/.wicket-installed-lock"
  fi
  # The OpenID Provider the sign-in tests run (oidc-provider), the same way.
  idp=crates/server/tests/oidc/provider
  if ! cmp -s "$idp/package-lock.json" "$idp/node_modules/.wicket-installed-lock"; then
    (cd "$idp" && npm ci --no-audit --no-fund --silent)
    cp "$idp/package-lock.json" "$idp/node_modules/.wicket-installed-lock"
  fi
fi

case "$what" in
  serve) exec cargo run --release --bin wicket -- serve --config examples/wicket.toml ;;
  test) exec cargo test --workspace ;;
  deps) ;;
esac
