//! A fresh database per test, created on the test server with `CREATE DATABASE`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::{Connection, PgConnection};

use crate::{TestkitError, server, skip_postgres};

/// An empty database for one test; on an external server it is dropped when this is.
pub struct TestDb {
    /// `postgres://…/wicket_test_PID_N`: give it to the store or to `wicket serve`.
    pub url: String,
    name: String,
    admin_url: String,
    drop_after: bool,
}

/// A fresh database, or `Ok(None)` when `WICKET_SKIP_POSTGRES=1` (the test should return).
pub async fn database() -> Result<Option<TestDb>, TestkitError> {
    if skip_postgres() {
        static SKIPPED: AtomicU64 = AtomicU64::new(0);
        let n = SKIPPED.fetch_add(1, Ordering::Relaxed) + 1;
        eprintln!(
            "skipping a PostgreSQL test: WICKET_SKIP_POSTGRES=1 is set ({n} skipped so far in this test binary; CI never sets it)"
        );
        return Ok(None);
    }
    let server = server::get().map_err(TestkitError::Unavailable)?;
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let name = format!(
        "wicket_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let admin_url = server.admin_url().map_err(TestkitError::Unavailable)?;
    create(&admin_url, &name).await?;
    Ok(Some(TestDb {
        url: server.url(&name).map_err(TestkitError::Unavailable)?,
        name,
        admin_url,
        drop_after: server.drops_databases(),
    }))
}

/// `CREATE DATABASE`, retried while the template is busy (another test creating one).
async fn create(admin_url: &str, name: &str) -> Result<(), TestkitError> {
    let mut conn = PgConnection::connect(admin_url).await?;
    let mut attempt = 0;
    loop {
        let result = sqlx::query(&format!("CREATE DATABASE \"{name}\""))
            .execute(&mut conn)
            .await;
        match result {
            Ok(_) => break,
            Err(sqlx::Error::Database(e))
                if e.code().as_deref() == Some("55006") && attempt < 50 =>
            {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
    conn.close().await?;
    Ok(())
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if !self.drop_after {
            return;
        }
        // Drop runs inside the test's runtime, which cannot be blocked on: a thread of its own
        // with a runtime of its own drops the database, and is waited for.
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async {
                if let Ok(mut conn) = PgConnection::connect(&admin_url).await {
                    let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                    let _ = sqlx::query(&sql).execute(&mut conn).await;
                    let _ = conn.close().await;
                }
            });
        });
        let _ = dropped.join();
    }
}
