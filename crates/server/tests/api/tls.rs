//! HTTPS: with `[server] tls_cert` and `tls_key` the API is served over TLS; a client that
//! trusts the certificate gets answers, plain HTTP and untrusting clients fail cleanly, and a
//! bad certificate or key stops the start naming the file.

use std::time::Duration;

use reqwest::StatusCode;

use crate::helpers::{CONFIG, spawn_with};

struct Pki {
    dir: tempfile::TempDir,
    cert_pem: String,
}

impl Pki {
    fn new() -> Pki {
        let dir = tempfile::tempdir().unwrap();
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        let cert_pem = ck.cert.pem();
        std::fs::write(dir.path().join("cert.pem"), &cert_pem).unwrap();
        std::fs::write(dir.path().join("key.pem"), ck.key_pair.serialize_pem()).unwrap();
        // A key of another certificate, to pair wrongly.
        let other = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
        std::fs::write(
            dir.path().join("other-key.pem"),
            other.key_pair.serialize_pem(),
        )
        .unwrap();
        Pki { dir, cert_pem }
    }

    fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    fn config(&self, cert: &str, key: &str) -> String {
        format!(
            "[server]\ntls_cert = {:?}\ntls_key = {:?}\n\n{CONFIG}",
            self.path(cert),
            self.path(key)
        )
    }
}

#[tokio::test]
async fn https_serves_trusting_clients_and_refuses_plain_http_cleanly() {
    let pki = Pki::new();
    let mut app = spawn_with(&pki.config("cert.pem", "key.pem")).await;
    let running = app.running.as_ref().unwrap();
    assert!(running.tls);
    let port = running.addr.port();
    let https = format!("https://localhost:{port}");
    let trusting = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pki.cert_pem.as_bytes()).unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let alice = app.token("alice").await;
    let whoami = |client: reqwest::Client, base: String, token: String| async move {
        client
            .get(format!("{base}/v1/whoami"))
            .bearer_auth(token)
            .send()
            .await
    };
    let resp = whoami(trusting.clone(), https.clone(), alice.clone())
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["user"], "alice");

    // Plain HTTP to the TLS port: an error, promptly, not a hang or an answer.
    let plain = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let err = whoami(
        plain.clone(),
        format!("http://127.0.0.1:{port}"),
        alice.clone(),
    )
    .await
    .unwrap_err();
    assert!(!err.is_timeout(), "{err:?}");
    // A client that does not trust the certificate does not get through either.
    let err = whoami(plain, https.clone(), alice.clone())
        .await
        .unwrap_err();
    assert!(!err.is_timeout(), "{err:?}");
    // A raw TCP client that never speaks costs nothing: others are still served.
    let _silent = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let resp = whoami(trusting, https, alice).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    // Graceful shutdown still works with TLS.
    app.stop().await;
}

#[tokio::test]
async fn unreadable_or_mismatched_tls_files_stop_the_start_naming_them() {
    let pki = Pki::new();
    let db = format!("sqlite://{}", pki.dir.path().join("w.db").display());
    for (cert, key, needle) in [
        ("missing.pem", "key.pem", "missing.pem"),
        ("cert.pem", "missing-key.pem", "missing-key.pem"),
        ("key.pem", "key.pem", "holds no certificate"),
        ("cert.pem", "other-key.pem", "do not make a server identity"),
    ] {
        let config = wicket_core::Config::parse("wicket.toml", &pki.config(cert, key)).unwrap();
        let err = match wicket_server::spawn(config, Some(&db), "127.0.0.1:0").await {
            Ok(_) => panic!("started with tls_cert {cert} and tls_key {key}"),
            Err(e) => format!("{e:#}"),
        };
        assert!(err.contains(needle), "{cert}/{key}: {err}");
    }
}
