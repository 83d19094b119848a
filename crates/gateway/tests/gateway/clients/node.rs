//! node-postgres (`pg`, `pg-cursor`), from `tests/clients/js/node_modules` (`npm ci` there).

use super::{assert_denials, denials, program, programs, require, run, setup};

#[tokio::test]
async fn node_postgres_works_with_table_permissions() {
    let node = program("node", "Debian's `nodejs`");
    for module in ["pg", "pg-cursor"] {
        require(
            programs("js").join("node_modules").join(module),
            &format!("npm's `{module}` (`npm ci` in crates/gateway/tests/clients/js)"),
        );
    }
    let Some((env, token)) = setup(&["public-write"]).await else {
        return;
    };
    let mut cmd = tokio::process::Command::new(node);
    cmd.current_dir(programs("js"))
        .arg("client.js")
        .env("WICKET_HOST", "127.0.0.1")
        .env("WICKET_PORT", env.gateway_port().to_string())
        .env("WICKET_DB", &env.target)
        .env("WICKET_USER", "alice")
        .env("WICKET_PASSWORD", &token);
    run("node-postgres", cmd).await;
    assert_denials(&denials(&env).await, &["pg_authid"]);
    env.stop().await;
}
