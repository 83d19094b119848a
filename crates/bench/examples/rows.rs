//! Scratch: what reading rows through sqlx costs, per row (`rows DBFILE`).
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "scratch")]
use sqlx::Row;
use std::time::Instant;
fn main() {
    let path = std::env::args().nth(1).unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{path}")).await.unwrap();
        let packed = format!("SELECT seq, {} FROM audit_events WHERE seq > ? ORDER BY seq LIMIT 1000", "coalesce(length(CAST(id AS BLOB)) || ':' || id, '-') || coalesce(length(CAST(at AS BLOB)) || ':' || at, '-') || coalesce(length(CAST(actor AS BLOB)) || ':' || actor, '-') || coalesce(length(CAST(kind AS BLOB)) || ':' || kind, '-') || coalesce(length(CAST(subject AS BLOB)) || ':' || subject, '-') || coalesce(length(CAST(action AS BLOB)) || ':' || action, '-') || coalesce(length(CAST(resource AS BLOB)) || ':' || resource, '-') || coalesce(length(CAST(decision AS BLOB)) || ':' || decision, '-') || coalesce(length(CAST(request_id AS BLOB)) || ':' || request_id, '-') || coalesce(length(CAST(grant_id AS BLOB)) || ':' || grant_id, '-') || coalesce(length(CAST(details AS BLOB)) || ':' || details, '-') || coalesce(length(CAST(prev_hash AS BLOB)) || ':' || prev_hash, '-') || coalesce(length(CAST(hash AS BLOB)) || ':' || hash, '-')");
        for sql in [packed.as_str(), "SELECT seq FROM audit_events WHERE seq > ? ORDER BY seq LIMIT 1000",
                    "SELECT seq, id, at, actor, kind, subject, action, resource, decision, request_id, grant_id, details, prev_hash, hash FROM audit_events WHERE seq > ? ORDER BY seq LIMIT 1000",
                    "SELECT json_group_array(json_array(seq, id, at, actor, kind, subject, action, resource, decision, request_id, grant_id, details, prev_hash, hash)) FROM (SELECT * FROM audit_events WHERE seq > ? ORDER BY seq LIMIT 1000)"] {
            let t = Instant::now();
            let mut n = 0usize;
            for page in 0..50i64 {
                let rows = sqlx::query(sql).bind(page * 1000).fetch_all(&pool).await.unwrap();
                n += rows.len();
                if sql.contains("json_group_array") {
                    let text: String = rows[0].try_get(0).unwrap();
                    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                    n += v.as_array().unwrap().len() - 1;
                }
            }
            println!("{:.2} µs/row over {n} rows: {}", t.elapsed().as_secs_f64() * 1e6 / n as f64, &sql[..40]);
        }
    });
}
