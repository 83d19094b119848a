//! pgx v4, Debian's `golang-github-jackc-pgx-v4-dev`, built offline in GOPATH mode against
//! /usr/share/gocode.

use super::{assert_denials, denials, program, programs, require, run, scratch, setup};

const GOCODE: &str = "/usr/share/gocode";

#[tokio::test]
async fn pgx_works_with_table_permissions() {
    let go = program("go", "Debian's `golang-go`");
    require(
        format!("{GOCODE}/src/github.com/jackc/pgx/v4"),
        "Debian's `golang-github-jackc-pgx-v4-dev`",
    );
    let out = tempfile::tempdir().unwrap();
    let binary = out.path().join("pgx_client");
    let mut build = tokio::process::Command::new(go);
    build
        .current_dir(programs("go"))
        .args(["build", "-o"])
        .arg(&binary)
        .arg("pgx_client.go")
        .env("GO111MODULE", "off")
        .env("GOPATH", GOCODE)
        .env("GOFLAGS", "")
        .env("GOPROXY", "off")
        .env("GOCACHE", scratch("go-cache"));
    run("building the pgx client", build).await;
    let Some((env, token)) = setup(&["public-write"]).await else {
        return;
    };
    let mut cmd = tokio::process::Command::new(&binary);
    cmd.env(
        "WICKET_DSN",
        format!("{} application_name=pgx", env.conn_string("alice", &token)),
    )
    .env("WICKET_DIRECT_DSN", &env.db_url);
    run("pgx", cmd).await;
    // Its statement cache overflowed, and was cleared after the change, with `deallocate`.
    env.statements_when(|s| s.starts_with("deallocate ")).await;
    assert_denials(&denials(&env).await, &["pg_authid", "pg_authid"]);
    env.stop().await;
}
