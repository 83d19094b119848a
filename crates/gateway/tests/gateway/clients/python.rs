//! psycopg 3, asyncpg and SQLAlchemy 2, from `target/pyenv` (made by `.ci/run` from
//! `tests/clients/python/requirements.txt`).

use std::path::PathBuf;

use super::{assert_denials, denials, programs, require, root, run, setup};
use crate::helpers::Env;

/// The virtual environment's interpreter, with `module` importable (else the test fails
/// naming `package`).
pub async fn python(module: &str, package: &str) -> PathBuf {
    let python = require(
        root().join("target/pyenv/bin/python"),
        "the Python clients into target/pyenv (`python3 -m venv target/pyenv && \
         target/pyenv/bin/pip install -r crates/gateway/tests/clients/python/requirements.txt`)",
    );
    let out = tokio::process::Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "Python module `{module}` is missing from target/pyenv: install {package} (`.ci/run` does): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    python
}

/// `python name arg` (a script of `tests/clients/python`) with the gateway's address and
/// `alice` in the environment.
pub fn script(env: &Env, python: &PathBuf, name: &str, arg: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(python);
    cmd.arg(programs("python").join(name)).arg(arg);
    cmd.env("PYTHONDONTWRITEBYTECODE", "1")
        .env("WICKET_HOST", "127.0.0.1")
        .env("WICKET_PORT", env.gateway_port().to_string())
        .env("WICKET_DB", &env.target)
        .env("WICKET_USER", "alice");
    cmd
}

#[tokio::test]
async fn psycopg_works_with_table_permissions_and_enum_info_with_db_metadata() {
    let python = python("psycopg", "psycopg==3.3.9 and psycopg-binary==3.3.9").await;
    let Some((env, token)) = setup(&["public-write"]).await else {
        return;
    };
    let dsn = format!(
        "{} application_name=psycopg",
        env.conn_string("alice", &token)
    );
    // The bundled libpq (18) closes statements with the protocol; the system's (15, through
    // the pure-Python implementation) with SQL `DEALLOCATE`.
    for implementation in ["binary", "python"] {
        let mut cmd = script(&env, &python, "psycopg_client.py", "basic");
        cmd.env("WICKET_DSN", &dsn)
            .env("PSYCOPG_IMPL", implementation);
        let out = run(&format!("psycopg ({implementation})"), cmd).await;
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("psycopg basic ok"),
            "{out:?}"
        );
    }
    // The pure-Python implementation's cache overflowed through SQL `DEALLOCATE`.
    env.statements_when(|s| s.starts_with("DEALLOCATE ")).await;
    env.grant("alice", "db-metadata", "30m").await;
    let mut cmd = script(&env, &python, "psycopg_client.py", "metadata");
    cmd.env("WICKET_DSN", &dsn);
    run("psycopg with db:metadata", cmd).await;
    // `EnumInfo` without `db:metadata`, once per implementation.
    assert_denials(
        &denials(&env).await,
        &[
            "pg_authid",
            "pg_authid",
            "pg_enum",
            "pg_authid",
            "pg_authid",
            "pg_enum",
        ],
    );
    env.stop().await;
}

#[tokio::test]
async fn asyncpg_decodes_its_own_types_with_table_permissions_and_introspects_with_db_metadata() {
    let python = python("asyncpg", "asyncpg==0.32.0").await;
    let Some((env, token)) = setup(&["public-write"]).await else {
        return;
    };
    let mut cmd = script(&env, &python, "asyncpg_client.py", "builtin");
    cmd.env("WICKET_PASSWORD", &token);
    run("asyncpg without db:metadata", cmd).await;
    env.grant("alice", "db-metadata", "30m").await;
    let mut cmd = script(&env, &python, "asyncpg_client.py", "metadata");
    cmd.env("WICKET_PASSWORD", &token);
    run("asyncpg", cmd).await;
    // Its type introspection, refused once for want of `db:metadata`.
    assert_denials(&denials(&env).await, &["typeinfo_tree"]);
    env.stop().await;
}

#[tokio::test]
async fn sqlalchemy_reflects_with_db_metadata() {
    // SQLAlchemy, its two drivers, and the greenlet its asyncio extension runs on.
    python("psycopg", "psycopg==3.3.9").await;
    python("asyncpg", "asyncpg==0.32.0").await;
    python("greenlet", "greenlet==3.5.6").await;
    let python = python("sqlalchemy", "SQLAlchemy==2.1.9").await;
    let Some((env, token)) = setup(&["db-metadata", "customers-read"]).await else {
        return;
    };
    let url = format!(
        "postgresql+psycopg://alice:{token}@127.0.0.1:{}/{}?sslmode=disable",
        env.gateway_port(),
        env.target
    );
    let mut cmd = script(&env, &python, "sqlalchemy_client.py", "");
    cmd.env("WICKET_URL", url);
    run("SQLAlchemy", cmd).await;
    assert_denials(&denials(&env).await, &[]);
    env.stop().await;
}
