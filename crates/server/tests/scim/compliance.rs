//! The RFC 7643/7644 compliance checker `scim2-tester` (PyPI, in `target/pyenv`) against a
//! live server: every check must succeed (none is skipped: the optional features it tries,
//! such as `POST /.search`, are served).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::harness::{CONFIG, TOKEN, spawn_scim};

fn python() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .unwrap()
        .to_path_buf();
    let python = root.join("target/pyenv/bin/python");
    assert!(
        python.exists(),
        "the SCIM compliance checker is missing: make target/pyenv (`python3 -m venv target/pyenv && \
         target/pyenv/bin/pip install -r crates/gateway/tests/clients/python/requirements.txt`, as .ci/run does)"
    );
    python
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scim2_tester_finds_no_failure() {
    let python = python();
    let s = spawn_scim(CONFIG).await;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scim/compliance.py");
    let out = tokio::process::Command::new(&python)
        .arg(&script)
        .arg(format!("{}/scim/v2", s.addr))
        .arg(TOKEN)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "scim2-tester did not run (install it into target/pyenv from \
         crates/gateway/tests/clients/python/requirements.txt): {stderr}"
    );
    let results: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(results.len() > 20, "too few checks ran: {results:?}");
    let mut counts = std::collections::BTreeMap::new();
    for r in &results {
        *counts
            .entry(r["status"].as_str().unwrap_or("?").to_string())
            .or_insert(0) += 1;
    }
    eprintln!("scim2-tester: {} checks: {counts:?}", results.len());
    let skipped: Vec<&Value> = results
        .iter()
        .filter(|r| r["status"] == "SKIPPED")
        .collect();
    let failed: Vec<String> = results
        .iter()
        .filter(|r| {
            !matches!(
                r["status"].as_str(),
                Some("SUCCESS" | "COMPLIANT" | "ACCEPTABLE" | "SKIPPED")
            )
        })
        .map(|r| {
            format!(
                "{} {} [{}]: {}",
                r["status"], r["title"], r["resource_type"], r["reason"]
            )
        })
        .collect();
    assert!(
        failed.is_empty(),
        "scim2-tester found {} failures of {} checks:\n{}",
        failed.len(),
        results.len(),
        failed.join("\n")
    );
    // Nothing is skipped: every optional feature the checker tries is served.
    assert!(skipped.is_empty(), "checks were skipped: {skipped:?}");
}
