//! Fastpath function calls: libpq's large-object API (psql's `\lo_import`, `\lo_export`,
//! `\lo_unlink`) calls PostgreSQL's large-object functions by object id; through the gateway
//! they need what the same calls in a query need, and are audited.

use crate::helpers::env;

#[tokio::test]
async fn large_objects_move_through_fastpath_calls_with_the_permissions_of_their_functions() {
    let Some(env) = env().await else { return };
    env.grant("alice", "db-write", "10m").await;
    env.grant("bob", "db-read", "10m").await;
    let alice = env.token("alice").await;
    let bob = env.token("bob").await;
    let file = env.dir.path().join("blob.txt");
    let content = "large object bytes\n".repeat(500);
    std::fs::write(&file, &content).unwrap();

    // A writer imports, exports and unlinks a large object.
    let as_alice = |command: String| {
        let (env, alice) = (&env, &alice);
        async move { env.psql("alice", alice, &[&command]).await }
    };
    let out = as_alice(format!("\\lo_import '{}'", file.display())).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let oid: u32 = stdout
        .trim()
        .strip_prefix("lo_import ")
        .and_then(|o| o.parse().ok())
        .unwrap_or_else(|| panic!("no lo_import line: {stdout} {stderr}"));
    let back = env.dir.path().join("back.txt");
    let out = as_alice(format!("\\lo_export {oid} '{}'", back.display())).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&back).unwrap(), content);

    // A reader may export, but not import or unlink.
    let again = env.dir.path().join("again.txt");
    let out = env
        .psql(
            "bob",
            &bob,
            &[
                &format!("\\lo_export {oid} '{}'", again.display()),
                &format!("\\lo_import '{}'", file.display()),
                &format!("\\lo_unlink {oid}"),
            ],
        )
        .await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        std::fs::read_to_string(&again).unwrap(),
        content,
        "{stderr}"
    );
    // Bob holds no write action, so his session is read-only, and writes are refused as such.
    let refused = "ERROR:  wicket denied the statement: this session is read-only";
    assert_eq!(stderr.matches(refused).count(), 2, "{stderr}");
    let exists = |oid: u32| {
        let env = &env;
        async move {
            let direct = env.direct().await;
            let n: i64 = direct
                .query_one(
                    "SELECT count(*) FROM pg_largeobject_metadata WHERE oid = $1",
                    &[&oid],
                )
                .await
                .unwrap()
                .get(0);
            n
        }
    };
    assert_eq!(exists(oid).await, 1, "bob's unlink was refused");

    let out = as_alice(format!("\\lo_unlink {oid}")).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(exists(oid).await, 0);

    // Each call is audited as the function it calls: the allowed ones, and bob's two
    // refused writes.
    let expected = [
        ("lo_creat(…) (function call)", "allow"),
        ("lowrite(…) (function call)", "allow"),
        ("loread(…) (function call)", "allow"),
        ("lo_unlink(…) (function call)", "allow"),
    ];
    let calls = |events: &[serde_json::Value]| -> Vec<(String, String)> {
        events
            .iter()
            .filter(|e| {
                e["kind"] == "gateway.statement"
                    && e["details"]["statement"]
                        .as_str()
                        .is_some_and(|t| t.ends_with("(function call)"))
            })
            .map(|e| {
                (
                    e["details"]["statement"].as_str().unwrap_or("").to_string(),
                    e["decision"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    };
    env.events_when("every large-object call", |events| {
        let seen = calls(events);
        let denied = seen.iter().filter(|(_, d)| d == "deny").count();
        denied == 2
            && expected
                .iter()
                .all(|(t, d)| seen.iter().any(|(st, sd)| st == t && sd == d))
    })
    .await;
    env.stop().await;
}
