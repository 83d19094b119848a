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
    let out = env
        .psql(
            "alice",
            &alice,
            &[&format!("\\lo_import '{}'", file.display())],
        )
        .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let oid: u32 = stdout
        .trim()
        .strip_prefix("lo_import ")
        .and_then(|o| o.parse().ok())
        .unwrap_or_else(|| panic!("no lo_import line: {stdout} {stderr}"));
    let back = env.dir.path().join("back.txt");
    let out = env
        .psql(
            "alice",
            &alice,
            &[&format!("\\lo_export {oid} '{}'", back.display())],
        )
        .await;
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

    let out = env
        .psql("alice", &alice, &[&format!("\\lo_unlink {oid}")])
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(exists(oid).await, 0);

    // Each call is audited as the function it calls.
    let events = env.statements_when(|t| t.starts_with("lo_unlink")).await;
    let calls: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e["details"]["protocol"] == "function call")
        .filter_map(|e| Some((e["details"]["statement"].as_str()?, e["decision"].as_str()?)))
        .collect();
    for expected in [
        ("lo_creat(…) (function call)", "allow"),
        ("lowrite(…) (function call)", "allow"),
        ("loread(…) (function call)", "allow"),
        ("lo_unlink(…) (function call)", "allow"),
    ] {
        assert!(calls.contains(&expected), "{expected:?} in {calls:?}");
    }
    let denied = events
        .iter()
        .filter(|e| {
            e["decision"] == "deny"
                && e["details"]["statement"]
                    .as_str()
                    .is_some_and(|t| t.contains("(function call)"))
        })
        .count();
    assert_eq!(denied, 2, "{events:?}");
    env.stop().await;
}
