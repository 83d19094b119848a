//! TLS: refused cleanly (`N`) without a certificate, spoken with one.

use std::process::Command;

use tokio::process::Command as Async;

use crate::helpers::env_with;

/// A self-signed certificate and key in `dir`, made with `openssl`.
fn self_signed(dir: &std::path::Path) -> Option<(String, String)> {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .ok()?;
    made.status
        .success()
        .then(|| (cert.display().to_string(), key.display().to_string()))
}

#[tokio::test]
async fn tls_when_configured_refused_cleanly_when_not() {
    let keys = tempfile::tempdir().unwrap();
    let (cert, key) = self_signed(keys.path())
        .expect("the `openssl` command (Debian package openssl) makes the test certificate");
    let Some(env) =
        env_with(|t| t.push_str(&format!("tls_cert = \"{cert}\"\ntls_key = \"{key}\"\n"))).await
    else {
        return;
    };
    let token = env.granted("alice", "db-read", "10m").await;
    let conn = |mode: &str| env.conninfo("alice", mode);
    let out = Async::new("psql")
        .arg(conn("require"))
        .args([
            "-X",
            "-A",
            "-t",
            "-c",
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            "-c",
            "SELECT 'over tls'",
        ])
        .env("PGPASSWORD", &token)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("over tls"),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    env.stop().await;

    // Without a certificate: `sslmode=require` is refused by the client, `prefer` goes on in clear.
    let Some(plain) = crate::helpers::env().await else {
        return;
    };
    let token = plain.granted("alice", "db-read", "10m").await;
    let conn = |mode: &str| plain.conninfo("alice", mode);
    let out = Async::new("psql")
        .arg(conn("require"))
        .args(["-X", "-c", "SELECT 1"])
        .env("PGPASSWORD", &token)
        .output()
        .await
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("does not support SSL"), "{stderr}");
    let out = Async::new("psql")
        .arg(conn("prefer"))
        .args(["-X", "-A", "-t", "-c", "SELECT 'clear'"])
        .env("PGPASSWORD", &token)
        .output()
        .await
        .unwrap();
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("clear"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    plain.stop().await;
}
