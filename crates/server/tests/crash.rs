//! Crash safety: a stream of requests, reviews, revocations and checks runs against a
//! `wicket serve` process, which is killed with `SIGKILL` at random points and started again,
//! on SQLite and on PostgreSQL. After every restart: every write the client saw acknowledged
//! is there, no transition is half applied (an approved request has its grants), and the
//! audit chain verifies. Grants that expired while the server was down are denied by the
//! first check after the restart and recorded as expired by the next sweep.
//!
//! `WICKET_CRASH_KILLS` sets the number of random kills per backend (default 10, plus the
//! expiry kill); `WICKET_CRASH_SEED` replays a run (each run prints its seed).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/call.rs"]
mod call;
#[path = "crash/client.rs"]
mod client;
#[path = "common/grants.rs"]
mod grants;
#[path = "crash/ledger.rs"]
mod ledger;
#[expect(
    dead_code,
    reason = "the soak test measures the process; this test only kills it"
)]
#[path = "common/process.rs"]
mod process;
#[path = "crash/verify.rs"]
mod verify;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::{Method, StatusCode};
use serde_json::json;

use client::{Api, Tokens};
use ledger::Ledger;
use process::Server;

/// The configuration the server runs with: the API tests' own.
const CONFIG: &str = include_str!("api/config.toml");

/// The body of a server process that the crash tests start; not a test.
#[test]
#[ignore = "the body of a server process that the crash tests start; not a test"]
fn serve_process() {
    process::serve_body();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_loses_nothing_acknowledged_across_sigkills() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("wicket.db").display());
    drill("sqlite", dir.path(), &db).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_loses_nothing_acknowledged_across_sigkills() {
    let Some(pg) = wicket_testkit::database().await.unwrap() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    drill("postgres", dir.path(), &pg.url).await;
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

fn start(config: &Path, db: &str) -> Server {
    tokio::task::block_in_place(|| Server::start(config, db))
}

async fn token(config: &Path, db: &str, user: &str) -> String {
    wicket_engine::admin::create_token(config, Some(db), user, Some("1h"))
        .await
        .unwrap()
}

async fn drill(backend: &str, dir: &Path, db: &str) {
    let config = dir.join("wicket.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let kills = env_number("WICKET_CRASH_KILLS").unwrap_or(10);
    let seed = env_number("WICKET_CRASH_SEED").unwrap_or_else(rand::random);
    eprintln!("{backend}: crash drill with WICKET_CRASH_SEED={seed}");
    let mut rng = StdRng::seed_from_u64(seed);
    let began = Instant::now();

    let mut server = start(&config, db);
    let t = Tokens {
        alice: token(&config, db, "alice").await,
        bob: token(&config, db, "bob").await,
        carol: token(&config, db, "carol").await,
        erin: token(&config, db, "erin").await,
        root: token(&config, db, "root").await,
    };
    let ledger = Arc::new(Ledger::default());
    let mut acknowledged = 0;
    for round in 1..=kills {
        let api = Api::new(&server.addr);
        let workers = [
            tokio::spawn(client::self_service(api.clone(), t.clone(), ledger.clone())),
            tokio::spawn(client::two_steps(api.clone(), t.clone(), ledger.clone())),
            tokio::spawn(client::revoke_and_check(
                api.clone(),
                t.clone(),
                ledger.clone(),
            )),
        ];
        let after = Duration::from_millis(rng.gen_range(300..2000));
        tokio::time::sleep(after).await;
        tokio::task::block_in_place(|| server.kill());
        for w in workers {
            acknowledged += w.await.unwrap();
        }
        server = start(&config, db);
        let api = Api::new(&server.addr);
        verify::everything_acknowledged_is_there(&api, &t.root, &ledger).await;
        let requests = verify::nothing_half_applied(&api, &t.root).await;
        let events = verify::chain_verifies(&api, &t.root).await;
        eprintln!(
            "{backend}: kill {round} after {after:?}: {} writes acknowledged so far, {requests} requests, {events} audit events, all there",
            ledger.writes()
        );
    }

    // Grants of 2 s, then a kill, and the server down until they have ended.
    let api = Api::new(&server.addr);
    let mut grants = Vec::new();
    for _ in 0..3 {
        let (s, v) = api
            .must(
                Method::POST,
                "/v1/requests",
                &t.erin,
                Some(json!({"roles": ["cache-flush"], "duration": "2s"})),
            )
            .await;
        assert_eq!(
            (s, v["state"].as_str()),
            (StatusCode::CREATED, Some("approved")),
            "{v}"
        );
        grants.push(v["grants"][0]["id"].as_str().unwrap().to_string());
    }
    let check = json!({"action": "cache:flush", "resource": "cache/prod/eu"});
    let (_, v) = api
        .must(Method::POST, "/v1/check", &t.erin, Some(check.clone()))
        .await;
    assert_eq!(v["allowed"], true, "{v}");
    tokio::task::block_in_place(|| server.kill());
    tokio::time::sleep(Duration::from_millis(3500)).await;
    server = start(&config, db);
    let api = Api::new(&server.addr);
    let (s, v) = api
        .must(Method::POST, "/v1/check", &t.erin, Some(check))
        .await;
    assert_eq!(
        (s, &v["allowed"]),
        (StatusCode::OK, &json!(false)),
        "expired while down, yet: {v}"
    );
    let recorded = Instant::now();
    for g in &grants {
        loop {
            let (_, v) = api
                .must(
                    Method::GET,
                    &format!("/v1/audit?grant_id={g}&kind=grant.expired"),
                    &t.root,
                    None,
                )
                .await;
            if v["items"].as_array().unwrap().len() == 1 {
                break;
            }
            assert!(
                recorded.elapsed() < Duration::from_secs(30),
                "grant {g} expired while the server was down, and no `grant.expired` within 30 s of the restart"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (_, v) = api
            .must(Method::GET, &format!("/v1/grants/{g}"), &t.root, None)
            .await;
        assert_eq!(v["status"], "expired", "{v}");
    }
    verify::everything_acknowledged_is_there(&api, &t.root, &ledger).await;
    verify::nothing_half_applied(&api, &t.root).await;
    let events = verify::chain_verifies(&api, &t.root).await;
    eprintln!(
        "{backend}: survived {} SIGKILLs in {:?}: {acknowledged} calls acknowledged, {} writes among them all present, {events} audit events verified, expired-while-down grants denied at once and recorded within {:?}",
        kills + 1,
        began.elapsed(),
        ledger.writes(),
        recorded.elapsed()
    );
}
