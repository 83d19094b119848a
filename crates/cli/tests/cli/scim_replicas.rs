//! Deprovisioning across replicas: two `wicket serve` processes on one throwaway PostgreSQL,
//! each with its gateway. A person pushed by SCIM to replica A, whose group gives them
//! `db:connect`, holds a psql session through replica B's gateway; deactivated on A, replica B
//! refuses their token, denies their checks and closes their session, each seen within a
//! generous bound (the speed itself is measured in BENCHMARKS.md, not asserted here).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::Server;
use crate::upstream::{Upstream, psql_admin, upstream};

const UPSTREAM_USER: &str = "wicket_scim_gw";
const UPSTREAM_PASSWORD: &str = "scim-Upstream-5b17";
const SCIM_TOKEN: &str = "scim-replicas-token-0123456789";
/// The bound every wait below gives its condition.
const WAIT: Duration = Duration::from_secs(30);

/// Waits until `done` holds, or fails after [`WAIT`] saying `what`.
async fn until<F, Fut>(what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    while !done().await {
        assert!(start.elapsed() < WAIT, "not within {WAIT:?}: {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn call(
    http: &reqwest::Client,
    base: &str,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = http
        .request(method, format!("{base}{path}"))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req
            .header(
                "content-type",
                if path.starts_with("/scim/") {
                    "application/scim+json"
                } else {
                    "application/json"
                },
            )
            .body(b.to_string());
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

#[test]
fn deactivating_on_one_replica_cuts_the_person_off_on_the_other() {
    let Some(Upstream { runtime, db, url }) = upstream(UPSTREAM_USER, UPSTREAM_PASSWORD) else {
        return;
    };

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("wicket.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[auth.scim]
token_env = "WICKET_SCIM_TEST_TOKEN"

[[users]]
name = "boss"

[[roles]]
name = "db-connect"
permissions = [{{ actions = ["db:connect", "db:select"], resources = ["postgres/test/**"] }}]

[[roles]]
name = "checker"
permissions = [{{ actions = ["wicket:check.others"], resources = ["wicket"] }}]

[[bindings]]
subjects = ["group:readers"]
roles = ["db-connect"]

[[bindings]]
subjects = ["user:boss"]
roles = ["checker"]

[[gateway.postgres]]
name = "orders"
listen = "127.0.0.1:0"
resource = "postgres/test"
upstream = "{url}"
password_env = "WICKET_SCIM_TEST_PASSWORD"
"#
        ),
    )
    .unwrap();
    let env = [
        ("WICKET_SCIM_TEST_PASSWORD", UPSTREAM_PASSWORD),
        ("WICKET_SCIM_TEST_TOKEN", SCIM_TOKEN),
    ];
    let a = Server::start_with_env(&config, &db.url, &env);
    let b = Server::start_with_env(&config, &db.url, &env);
    let boss = a.token("boss");
    let http = reqwest::Client::builder()
        .timeout(WAIT)
        .pool_idle_timeout(wicket_testkit::HTTP_IDLE)
        .build()
        .unwrap();

    runtime.block_on(async {
        // On A: `ann`, a member of `readers`.
        let (status, ann) = call(&http, &a.url, Method::POST, "/scim/v2/Users", SCIM_TOKEN, Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ann", "active": true,
        }))).await;
        assert_eq!(status, 201, "{ann}");
        let id = ann["id"].as_str().unwrap().to_string();
        let (status, group) = call(&http, &a.url, Method::POST, "/scim/v2/Groups", SCIM_TOKEN, Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "readers",
            "members": [{"value": id}],
        }))).await;
        assert_eq!(status, 201, "{group}");

        // A token of ann's, as a sign-in stores it.
        let store = wicket_store::postgres::PgStore::open(&db.url).await.unwrap();
        let (token, changes) = wicket_engine::admin::token_changes(
            "ann", "oidc", None, wicket_engine::app::now(), &mut wicket_engine::ids::RandomIds,
        );
        wicket_store::Store::commit(&store, changes).await.unwrap();

        // B learns of her from the change feed: her token works there, her group decides.
        let check = || {
            let (http, b, boss) = (&http, &b, &boss);
            async move {
                let (status, d) = call(http, &b.url, Method::POST, "/v1/check", boss, Some(json!({
                    "subject": "user:ann", "action": "db:connect", "resource": "postgres/test/x",
                }))).await;
                assert_eq!(status, 200, "{d}");
                d["allowed"].as_bool().unwrap()
            }
        };
        until("B knows ann and her group", || async {
            call(&http, &b.url, Method::GET, "/v1/whoami", &token, None).await.0 == 200 && check().await
        }).await;

        // A psql session of ann's through B's gateway, in a long statement.
        let gateway = b.gateway("orders").to_string();
        let (host, gport) = gateway.rsplit_once(':').unwrap();
        let mut psql: Child = Command::new("psql")
            .arg(format!("host={host} port={gport} dbname=orders user=ann password={token} sslmode=disable"))
            .args(["-X", "-At", "-c", "SELECT pg_sleep(300)"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        until("ann's session runs upstream", || async {
            psql_admin(&db.url, &format!(
                "SELECT count(*) FROM pg_stat_activity WHERE usename = '{UPSTREAM_USER}' AND query LIKE '%pg_sleep(300)%'"
            )).trim() == "1"
        }).await;

        // Deactivated on A.
        let (status, body) = call(&http, &a.url, Method::PATCH, &format!("/scim/v2/Users/{id}"), SCIM_TOKEN, Some(json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": false}],
        }))).await;
        assert_eq!(status, 200, "{body}");
        let deactivated = Instant::now();

        // On B: the token refused, the check denied, the session closed.
        until("B refuses ann's token", || async {
            call(&http, &b.url, Method::GET, "/v1/whoami", &token, None).await.0 == 401
        }).await;
        let refused = deactivated.elapsed();
        // B may refuse the token (read again from the store) before its change feed has
        // brought it the directory change that the check depends on.
        until("B denies the check about ann", || async { !check().await }).await;
        let start = Instant::now();
        while psql.try_wait().unwrap().is_none() {
            assert!(start.elapsed() < WAIT, "not within {WAIT:?}: B's gateway closes ann's session");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let closed = deactivated.elapsed();
        eprintln!("after deactivation on A: token refused on B after {refused:?}, session on B closed after {closed:?}");
        let out = psql.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "psql ended well: {stderr}");
        assert!(stderr.contains("wicket closed the session"), "{stderr}");
        store.close().await;
    });
    drop((a, b));
}
