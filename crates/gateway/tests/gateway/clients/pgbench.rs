//! pgbench: `-i` creates and fills its tables (`db:ddl`, `db:delete` for its `TRUNCATE`,
//! `db:insert`; its default steps also `VACUUM` them, which is `db:admin`, so the test skips
//! that step with `-I dtgp`); `-S` reads them with a read role and `db:metadata` (pgbench
//! reads `pg_class` to learn whether `pgbench_accounts` is partitioned).

use super::{assert_denials, denials, program, run, setup};

#[tokio::test]
async fn pgbench_initializes_with_ddl_and_runs_select_only_with_a_read_role() {
    let pgbench = program("pgbench", "Debian's `postgresql-client` or `postgresql`");
    let Some((env, token)) = setup(&["public-ddl", "public-write"]).await else {
        return;
    };
    let conn = |user: &str| env.conninfo(user, "disable");
    let mut init = tokio::process::Command::new(&pgbench);
    init.args(["-i", "-I", "dtgp", "-s", "1", "-q", &conn("alice")])
        .env("PGPASSWORD", &token);
    run("pgbench -i", init).await;
    env.grant("bob", "public-read", "30m").await;
    env.grant("bob", "db-metadata", "30m").await;
    let bob = env.token("bob").await;
    for protocol in ["simple", "extended", "prepared"] {
        let mut select = tokio::process::Command::new(&pgbench);
        select
            .args(["-S", "-t", "50", "-n", "-M", protocol, &conn("bob")])
            .env("PGPASSWORD", &bob);
        let out = run(&format!("pgbench -S -M {protocol}"), select).await;
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.contains("number of transactions actually processed: 50/50"),
            "{protocol}: {text}"
        );
    }
    assert_denials(&denials(&env).await, &[]);
    env.stop().await;
}
