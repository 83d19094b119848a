//! psql's `\d` family and `\copy`: `db:metadata` for the catalog, table permissions for the
//! rows; without `db:metadata`, the `\d` family is refused with an error that names it.

use super::{assert_denials, denials, program, run, setup};
use crate::helpers::Env;

fn psql(env: &Env, user: &str, token: &str, commands: &[&str]) -> tokio::process::Command {
    let program = program("psql", "Debian's `postgresql-client`");
    let flags = ["-X", "-v", "ON_ERROR_STOP=1", "-P", "pager=off"];
    let mut cmd = env.psql_command(program, user, token, &flags, commands);
    cmd.env("PGCONNECT_TIMEOUT", "10");
    cmd
}

#[tokio::test]
async fn psql_describes_with_db_metadata_and_copies_with_table_permissions() {
    let Some((env, token)) = setup(&["db-metadata", "public-write"]).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.csv");
    let output = dir.path().join("out.csv");
    std::fs::write(&input, "700\n701\n702\n").unwrap();
    let commands = [
        r"\d",
        r"\dt",
        r"\dn",
        r"\df",
        r"\l",
        r"\du",
        r"\dT",
        r"\di",
        r"\dv",
        r"\ds",
        r"\dx",
        r"\dp",
        r"\dm",
        r"\dE",
        r"\dD",
        r"\dc",
        r"\dC",
        r"\do",
        r"\dd",
        r"\dy",
        r"\dL",
        r"\dF",
        r"\des",
        r"\dRp",
        r"\drds",
        r"\dg",
        r"\db",
        r"\lo_list",
        r"\dconfig work_mem",
        r"\d gadgets",
        r"\d+ customers",
        r"\d+ gadget_labels",
        r"\sf bump",
        r"\sv gadget_labels",
        r"select label from gadgets where id = 1 \gdesc",
        &format!(r"\copy t (x) from '{}' with (format csv)", input.display()),
        &format!(
            r"\copy (select x from t where x >= 700 order by x) to '{}' with (format csv)",
            output.display()
        ),
    ];
    // One script, as a person would type it (`-c` reads no backslash command after SQL).
    let script = dir.path().join("describe.sql");
    std::fs::write(&script, commands.join("\n") + "\n").unwrap();
    let mut cmd = psql(&env, "alice", &token, &[]);
    cmd.arg("-f").arg(&script);
    let out = run("psql's \\d family and \\copy", cmd).await;
    let text = String::from_utf8_lossy(&out.stdout);
    for expected in [
        "gadgets",
        "customers",
        "public",
        "bump",
        "mood",
        "gadgets_label",
        "wicket_gw",
        &env.target,
        "tags",
        "integer[]",
    ] {
        assert!(
            text.contains(expected),
            "psql's output lacks `{expected}`:\n{text}"
        );
    }
    assert_eq!(std::fs::read_to_string(&output).unwrap(), "700\n701\n702\n");

    // psql's own savepoints around each statement (`ON_ERROR_ROLLBACK`) keep a transaction
    // alive past a denial; `\copy` from its standard input, and a large one from a file.
    let big = dir.path().join("big.csv");
    let rows: String = (10_000..30_000).map(|x| format!("{x}\n")).collect();
    std::fs::write(&big, rows).unwrap();
    let session = format!(
        "BEGIN;\n\\set ON_ERROR_ROLLBACK on\ninsert into t (x) values (710);\n\
         select rolpassword from pg_authid;\ninsert into t (x) values (711);\nCOMMIT;\n\
         \\copy t (x) from stdin\n720\n721\n\\.\n\
         \\copy t (x) from '{}'\n",
        big.display()
    );
    let mut cmd = psql(&env, "alice", &token, &[]);
    cmd.args(["-v", "ON_ERROR_STOP=0"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut child = cmd.spawn().unwrap();
    {
        use tokio::io::AsyncWriteExt;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(session.as_bytes()).await.unwrap();
    }
    let out = tokio::time::timeout(super::CLIENT_TIMEOUT, child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("pg_authid"), "{err}");
    let direct = env.direct().await;
    let count = |sql: &'static str| {
        let direct = &direct;
        async move { direct.query_one(sql, &[]).await.unwrap().get::<_, i64>(0) }
    };
    assert_eq!(
        count("select count(*) from t where x in (710, 711, 720, 721)").await,
        4,
        "{err}"
    );
    assert_eq!(
        count("select count(*) from t where x >= 10000").await,
        20_000
    );

    // `\deu` reads `pg_user_mappings`, which holds passwords: never metadata.
    let mut cmd = psql(&env, "alice", &token, &[r"\deu"]);
    cmd.kill_on_drop(true);
    let out = cmd.output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("never covers it"), "{err}");

    // Without `db:metadata`, `\dt` is refused, naming the permission.
    env.grant("bob", "public-read", "30m").await;
    let bob = env.token("bob").await;
    let mut cmd = psql(&env, "bob", &bob, &[r"\dt"]);
    cmd.kill_on_drop(true);
    let out = cmd.output().await.unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("db:metadata") && err.contains("pg_catalog.pg_class"),
        "{err}"
    );
    assert_denials(
        &denials(&env).await,
        &[
            "pg_authid",
            "pg_catalog.pg_user_mappings",
            "pg_catalog.pg_class",
        ],
    );
    env.stop().await;
}
