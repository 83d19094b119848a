//! Provisioning into PostgreSQL, timed on a throwaway cluster (SCRAM logins, the README's
//! admin setup) with the engine in process on a SQLite store:
//!
//! - approval → the reconciler has the role ready, and approval → first successful login
//!   with `POST /v1/db/creds`'s credentials (the engine call behind it);
//! - revocation → the user's open session is gone;
//! - 1,000 grants provisioned at start, then expiring at the same instant: how long until
//!   every role is `NOLOGIN` with its privileges revoked.
//!
//! `target-bench/release/provision [--users 1000] [--rounds 20]`

use std::time::{Duration as StdDuration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;
use sqlx::{Connection, PgConnection};
use wicket_bench::seed;
use wicket_core::workflow::NewRequest;
use wicket_core::{Config, Request, RequestState, Verdict};
use wicket_engine::{Engine, now, ops, provision};
use wicket_testkit::OwnCluster;

const ADMIN_PASSWORD: &str = "bench-Admin-1";

#[derive(Parser)]
struct Args {
    /// Grants expiring together
    #[arg(long, default_value_t = 1000)]
    users: usize,
    /// Rounds of approval → login and revocation → session gone
    #[arg(long, default_value_t = 20)]
    rounds: usize,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    wicket_bench::finish(body().await)
}

async fn body() -> Result<()> {
    let args = Args::parse();
    let cluster = OwnCluster::start("orders")
        .await
        .context("starting PostgreSQL")?;
    let superuser = cluster.url("orders");
    let port = cluster.port();
    cluster
        .readme_setup(
            "orders",
            ADMIN_PASSWORD,
            "CREATE TABLE orders (id int); INSERT INTO orders VALUES (1), (2), (3); \
             CREATE TABLE customers (id int);",
        )
        .await?;
    let dir = tempfile::tempdir()?;
    let secret = dir.path().join("admin-password");
    std::fs::write(&secret, ADMIN_PASSWORD)?;
    let config = Config::parse(
        "bench.toml",
        &config_text(port, args.users, &secret.display().to_string()),
    )?;
    let seeded_until = now() + chrono::Duration::seconds(90);
    let database = format!("sqlite://{}", dir.path().join("w.db").display());
    // Seeded before the engine starts, so the start-up reconcile provisions them all.
    {
        let store = wicket_engine::open::open_store(&config, Some(&database)).await?;
        seed(&*store, args.users, seeded_until).await?;
    }
    let started = Instant::now();
    let engine = Engine::start(config, Some(&database)).await?;
    let app = engine.app.clone();
    let mut admin = PgConnection::connect(&superuser).await?;
    wait(&mut admin, args.users as i64, StdDuration::from_secs(600)).await?;
    let provisioned = started.elapsed();
    println!(
        "{} grants provisioned by the start-up reconcile in {:.2} s",
        args.users,
        provisioned.as_secs_f64()
    );

    // Approval → role ready, and approval → first login with fresh credentials.
    let mut ready = Vec::new();
    let mut login = Vec::new();
    let mut gone = Vec::new();
    for i in 0..args.rounds {
        let user = format!("a{i}");
        let request = ops::create_request(
            &app,
            &user,
            &NewRequest {
                roles: vec!["orders-read".into()],
                duration: Some("30m".into()),
                reason: Some("bench".into()),
                ..NewRequest::default()
            },
        )
        .await?;
        let t0 = Instant::now();
        let approved =
            ops::review_request(&app, "approver", &request.id, Verdict::Approve, None).await?;
        if approved.state != RequestState::Approved {
            bail!("request {} is {:?}", request.id, approved.state);
        }
        let role = format!("wicket_{user}");
        // The reconciler's own path (the audit tail), before anyone asks for credentials.
        loop {
            let up: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1 AND rolcanlogin)",
            )
            .bind(&role)
            .fetch_one(&mut admin)
            .await?;
            if up {
                break;
            }
            tokio::time::sleep(StdDuration::from_millis(2)).await;
        }
        ready.push(t0.elapsed());
        let creds = provision::issue(&app, "orders", &user).await?;
        let mut conn = PgConnection::connect(&creds.url()).await?;
        login.push(t0.elapsed());

        // Revocation → the open session is gone.
        sqlx::query("SELECT 1").execute(&mut conn).await?;
        let session = tokio::spawn(async move {
            let _ = sqlx::query("SELECT pg_sleep(120)").execute(&mut conn).await;
        });
        tokio::time::sleep(StdDuration::from_millis(50)).await;
        let grants = app.grants_of_request(&request.id).await?;
        let grant = grants.into_iter().next().context("no grant")?;
        let t1 = Instant::now();
        ops::revoke_as(&app, "bench", grant, Some("bench".into())).await?;
        tokio::time::timeout(StdDuration::from_secs(60), session)
            .await
            .context("the session outlived its revocation by a minute")??;
        gone.push(t1.elapsed());
    }
    report("approval → role ready (reconciler)", &mut ready);
    report("approval → first login (creds)", &mut login);
    report("revocation → session gone", &mut gone);

    // 1,000 grants expiring at the same instant.
    let until = seeded_until - now();
    tokio::time::sleep(until.to_std().unwrap_or_default()).await;
    let t2 = Instant::now();
    wait(&mut admin, 0, StdDuration::from_secs(600)).await?;
    let closed = t2.elapsed();
    let left: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'wicket\\_s%' \
         AND has_table_privilege(oid, 'public.orders', 'SELECT')",
    )
    .fetch_one(&mut admin)
    .await?;
    println!(
        "{} grants expiring together: every role NOLOGIN {:.2} s after the expiry ({} still holding SELECT)",
        args.users,
        closed.as_secs_f64(),
        left
    );
    engine.shutdown().await?;
    drop(dir);
    Ok(())
}

/// Waits until exactly `want` seeded roles can log in.
async fn wait(admin: &mut PgConnection, want: i64, bound: StdDuration) -> Result<()> {
    let started = Instant::now();
    loop {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_roles WHERE rolname LIKE 'wicket\\_s%' AND rolcanlogin",
        )
        .fetch_one(&mut *admin)
        .await?;
        if n == want {
            return Ok(());
        }
        if started.elapsed() > bound {
            bail!("{n} roles open, waiting for {want}");
        }
        tokio::time::sleep(StdDuration::from_millis(10)).await;
    }
}

fn report(what: &str, samples: &mut [StdDuration]) {
    samples.sort();
    let ms = |d: StdDuration| d.as_secs_f64() * 1000.0;
    let p = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    println!(
        "{what}: median {:.1} ms, p90 {:.1} ms, max {:.1} ms ({} rounds)",
        ms(p(0.5)),
        ms(p(0.9)),
        ms(p(1.0)),
        samples.len()
    );
}

fn config_text(port: u16, users: usize, secret: &str) -> String {
    let mut text = String::from(
        r#"
[[users]]
name = "approver"

[[roles]]
name = "orders-read"
permissions = [{ actions = ["db:connect", "db:select"], resources = ["postgres/bench/orders", "postgres/bench/orders/public/orders"] }]

[[policies]]
name = "bench"
requesters = ["group:bench"]
roles = ["orders-read"]
max_duration = "1h"
require_reason = false
steps = [{ approvers = ["user:approver"] }]
"#,
    );
    for i in 0..users {
        text.push_str(&format!("\n[[users]]\nname = \"s{i}\"\n"));
    }
    for i in 0..100 {
        text.push_str(&format!(
            "\n[[users]]\nname = \"a{i}\"\ngroups = [\"bench\"]\n"
        ));
    }
    text.push_str(&format!(
        r#"
[[provision.postgres]]
name = "orders"
resource = "postgres/bench/orders"
admin = "postgres://wicket_admin@127.0.0.1:{port}/orders"
password_file = "{secret}"
reconcile_every = "10m"
"#
    ));
    text
}

/// `users` grants of `orders-read`, live now and ending together at `until`.
async fn seed(
    store: &dyn wicket_store::Store,
    users: usize,
    until: wicket_core::Time,
) -> Result<()> {
    let at = now();
    let request = Request {
        policy: "bench".into(),
        reason: Some("bench".into()),
        ..seed::request("rq-bench", "s0", "orders-read", at)
    };
    let grants = (0..users)
        .map(|i| {
            seed::grant(
                format!("gr-bench-{i}"),
                &format!("s{i}"),
                "orders-read",
                &request.id,
                (at, until),
            )
        })
        .collect();
    seed::commit(store, request, grants).await
}
