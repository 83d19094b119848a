//! A full disk under a SQLite server: the database lives on a small tmpfs of the test's own,
//! a filler file takes the rest of it, and audited checks must fail saying the disk is full
//! (503 `audit_unavailable`: "the audit log cannot be written: the database's disk is full"), lose nothing acknowledged, and work again without a restart once
//! space is freed.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Served, denied, post, recovers, send};

/// A tmpfs mounted for one test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(at).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .output()
            .expect("the `mount` command runs");
        assert!(
            out.status.success(),
            "this test fills a small tmpfs of its own, and mounting one failed (it needs root \
             or CAP_SYS_ADMIN, as CI has): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs(at.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes `path` until the file system says it is full.
fn fill(path: &Path) {
    let mut f = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 16 * 1024];
    loop {
        if let Err(e) = f.write_all(&chunk).and_then(|()| f.sync_all()) {
            assert_eq!(e.raw_os_error(), Some(28), "filling the disk: {e}"); // ENOSPC
            return;
        }
    }
}

/// `count` denied checks of alice in one batch: (status, body).
async fn batch(served: &Served, count: usize) -> (StatusCode, Value) {
    let body = json!({"checks": vec![denied(); count]});
    let url = format!("{}/v1/check/batch", served.base);
    let (resp, _) = send(&served.client, &url, &served.alice, body).await;
    let status = resp.status();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// The audited denials the server has recorded, read as carol.
async fn recorded_denials(served: &Served) -> usize {
    let mut count = 0;
    let mut after = 0;
    loop {
        let page = served
            .read(&format!(
                "/v1/audit?kind=check.denied&limit=1000&after={after}"
            ))
            .await;
        let items = page["items"].as_array().unwrap();
        let Some(last) = items.last() else {
            return count;
        };
        count += items.len();
        after = last["seq"].as_i64().unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_is_named_loses_nothing_acknowledged_and_heals_without_restart() {
    let dir = tempfile::tempdir().unwrap();
    let disk = Tmpfs::mount(&dir.path().join("disk"), "6m");
    let db = format!("sqlite://{}", disk.0.join("wicket.db").display());
    let served = Served::start(&db).await;
    let Served {
        base,
        alice,
        client,
        ..
    } = &served;
    let mut acknowledged = 0;
    let (status, v) = batch(&served, 10).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    acknowledged += 10;

    // The disk fills; the database's file may still have room of its own, so checks go on
    // until a write needs more (a bounded number of batches).
    let filler = disk.0.join("filler");
    fill(&filler);
    let mut refusal = None;
    for _ in 0..200 {
        let (status, v) = batch(&served, 500).await;
        if status == StatusCode::OK {
            acknowledged += 500;
            continue;
        }
        refusal = Some((status, v));
        break;
    }
    let (status, v) = refusal.expect("200 batches of 500 audited checks never filled the disk");
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    // Checks stand on the audit log, so the audit writer answers, naming the cause.
    assert_eq!(v["error"]["code"], "audit_unavailable", "{v}");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("disk is full"), "{v}");
    // A single check is refused the same way: nothing is answered that is not recorded.
    let (status, _) = post(client, &format!("{base}/v1/check"), alice, denied()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);

    // Space comes back: the server heals by itself.
    std::fs::remove_file(&filler).unwrap();
    let healed = recovers("space was freed", Duration::from_millis(100), || async {
        let (status, v) = batch(&served, 1).await;
        (status, v.to_string())
    })
    .await;
    acknowledged += 1;
    eprintln!(
        "disk full: {acknowledged} checks acknowledged; healed {healed:?} after space was freed"
    );
    let recorded = recorded_denials(&served).await;
    assert!(
        recorded >= acknowledged,
        "{acknowledged} denials were answered but only {recorded} recorded"
    );
    served.finish().await;
}
