//! A whole scenario against `wicket serve` over HTTPS with audit checkpoints, a webhook secret
//! and a gateway upstream password, logging at debug level; then no token, webhook secret,
//! upstream password or private key may appear in the logs, the audit log, any error body,
//! `/metrics` or the checkpoint files. The CLI talks HTTPS with `--ca`, and at the end
//! `wicket audit verify --checkpoints` vouches for the log the server signed. Plain HTTP on a
//! non-loopback address is warned about at start.

use std::io::{BufRead, BufReader, Read};
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::support::{command, fixture, json, run, sqlite};

/// A port that takes connections and closes them at once, kept for the whole process so no
/// one else gets its number; and how many connections came.
fn closing_port() -> (u16, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(conn);
        }
    });
    (port, count)
}

#[test]
fn no_secret_reaches_logs_events_errors_metrics_or_checkpoints() {
    let dir = tempfile::tempdir().unwrap();
    let path = |name: &str| dir.path().join(name).display().to_string();
    let database = format!("sqlite://{}", path("w.db"));

    // A self-signed certificate, and a checkpoint key made by the CLI.
    let ck = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    std::fs::write(path("cert.pem"), ck.cert.pem()).unwrap();
    std::fs::write(path("key.pem"), ck.key_pair.serialize_pem()).unwrap();
    let out = run(command().args(["audit", "keygen", "--out", &path("signing.pem")]));
    assert_eq!(out.code, 0, "{out:?}");
    let public_key = out.stdout.trim().to_string();
    assert_eq!(public_key.len(), 64, "{out:?}");

    let webhook_secret = format!("whsec-{}", &public_key[..24]);
    let upstream_password = format!("pgpw-{}", &public_key[24..48]);
    // The webhook and the upstream database: ports where nothing answers. The gateway listens
    // on a port of its own choosing.
    let (hook, hook_calls) = closing_port();
    let (pg, _) = closing_port();
    let config = format!(
        "[server]\ntls_cert = {cert:?}\ntls_key = {key:?}\n\n{fixture}\n\
         [audit.checkpoints]\ndir = {cp:?}\nkey_file = {signing:?}\nevery_events = 3\nevery = \"1s\"\n\n\
         [[notify.webhook]]\nurl = \"http://127.0.0.1:{hook}/hook\"\nevents = [\"request.*\"]\nsecret = {webhook_secret:?}\n\n\
         [[gateway.postgres]]\nname = \"orders\"\nlisten = \"127.0.0.1:0\"\nresource = \"postgres/prod/orders\"\n\
         upstream = \"postgres://wicket_gw@127.0.0.1:{pg}/orders\"\npassword_env = \"WICKET_TEST_UPSTREAM_PASSWORD\"\n",
        cert = path("cert.pem"),
        key = path("key.pem"),
        fixture = std::fs::read_to_string(fixture("wicket.toml")).unwrap(),
        cp = path("checkpoints"),
        signing = path("signing.pem"),
    );
    std::fs::write(path("wicket.toml"), &config).unwrap();
    let offline = |args: &[&str]| {
        run(command()
            .args(args)
            .args(["--config", &path("wicket.toml"), "--database", &database]))
    };
    let token = |user: &str| {
        offline(&["token", "create", user])
            .stdout
            .trim()
            .to_string()
    };
    let (alice, bob, carol) = (token("alice"), token("bob"), token("carol"));

    // The server, logging at debug level to a buffer.
    let mut child = command()
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &database])
        .args(["--config", &path("wicket.toml")])
        .env("RUST_LOG", "debug")
        .env("WICKET_TEST_UPSTREAM_PASSWORD", &upstream_password)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let logs = Arc::new(Mutex::new(String::new()));
    let mut stderr = child.stderr.take().unwrap();
    let sink = logs.clone();
    let drain = std::thread::spawn(move || {
        let mut buf = [0u8; 8192];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("listening on ") {
                let _ = tx.send(url.to_string());
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("no address; logs: {}", logs.lock().unwrap()));
    assert!(url.starts_with("https://"), "{url}");
    let url = url.replace("127.0.0.1", "localhost");
    let cli = |token: &str, args: &[&str]| {
        run(command()
            .args(args)
            .env("WICKET_SERVER", &url)
            .env("WICKET_CA", path("cert.pem"))
            .env("WICKET_TOKEN", token))
    };

    // Without the CA the CLI refuses the server and says how to trust it.
    let out = run(command().args(["whoami", "--server", &url, "--token", &alice]));
    assert_eq!(out.code, 2, "{out:?}");
    out.expect_stderr("--ca");
    assert_eq!(cli(&alice, &["whoami"]).code, 0);

    // A request through both approvals (webhooks fire, and fail: nothing listens there).
    let out = cli(
        &alice,
        &[
            "request",
            "create",
            "orders-db-read",
            "--reason",
            "INC-9 slow",
            "--ticket",
            "INC-9",
            "--output",
            "json",
        ],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let id = json(&out.stdout)["id"].as_str().unwrap().to_string();
    assert_eq!(cli(&bob, &["request", "approve", &id]).code, 0);
    assert_eq!(cli(&carol, &["request", "approve", &id]).code, 0);
    assert_eq!(
        cli(
            &alice,
            &["check", "db:select", "postgres/prod/orders/public/t"]
        )
        .code,
        0
    );

    // Tokens over HTTP, a revoke with the CLI, and error bodies collected as they come.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let cert = reqwest::Certificate::from_pem(ck.cert.pem().as_bytes()).unwrap();
    let http = reqwest::Client::builder()
        .pool_idle_timeout(wicket_testkit::HTTP_IDLE)
        .add_root_certificate(cert)
        .build()
        .unwrap();
    let call = |method: reqwest::Method, p: &str, token: &str, body: Option<serde_json::Value>| {
        let mut req = http.request(method, format!("{url}{p}")).bearer_auth(token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        rt.block_on(async {
            let resp = req.send().await.unwrap();
            (resp.status().as_u16(), resp.text().await.unwrap())
        })
    };
    let (s, minted) = call(
        reqwest::Method::POST,
        "/v1/tokens",
        &alice,
        Some(serde_json::json!({"ttl": "10m"})),
    );
    assert_eq!(s, 201, "{minted}");
    let minted = json(&minted);
    let (fresh, fresh_id) = (
        minted["token"].as_str().unwrap().to_string(),
        minted["id"].as_str().unwrap().to_string(),
    );
    assert_eq!(cli(&fresh, &["token", "revoke", &fresh_id]).code, 0);
    let mut bodies = Vec::new();
    for (method, p, token, body) in [
        (reqwest::Method::GET, "/v1/whoami", fresh.as_str(), None),
        (reqwest::Method::GET, "/v1/whoami", "wkt_0123", None),
        (
            reqwest::Method::POST,
            "/v1/tokens",
            bob.as_str(),
            Some(serde_json::json!({"user": "alice"})),
        ),
        (
            reqwest::Method::POST,
            "/v1/requests",
            alice.as_str(),
            Some(serde_json::json!({"roles": ["nope"]})),
        ),
        (
            reqwest::Method::POST,
            "/v1/check",
            alice.as_str(),
            Some(serde_json::json!({"action": "not-an-action", "resource": "x"})),
        ),
        (
            reqwest::Method::DELETE,
            &format!("/v1/tokens/{fresh_id}"),
            alice.as_str(),
            None,
        ),
        (reqwest::Method::GET, "/v1/audit", bob.as_str(), None),
    ] {
        let (s, text) = call(method, p, token, body);
        assert!((400..500).contains(&s), "{p}: {s} {text}");
        bodies.push(text);
    }
    let (s, metrics) = call(reqwest::Method::GET, "/metrics", "", None);
    assert_eq!(s, 200);
    let out = cli(&carol, &["audit", "export"]);
    assert_eq!(out.code, 0, "{out:?}");
    let events = out.stdout;
    assert!(events.contains("token.revoked") && events.contains("request.approved"));
    // Webhook deliveries are attempted (and fail) in the background: wait for one.
    let deadline = Instant::now() + Duration::from_secs(30);
    while hook_calls.load(Ordering::SeqCst) == 0 {
        assert!(
            Instant::now() < deadline,
            "no webhook delivery was attempted within 30 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    // A graceful stop signs the final head.
    let status = std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let _ = child.wait();
    drain.join().unwrap();
    let out = offline(&[
        "audit",
        "verify",
        "--checkpoints",
        &path("checkpoints"),
        "--public-key",
        &public_key,
    ]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        out.stdout.contains("checkpoints ok") && out.stdout.contains("0 events since"),
        "{out:?}"
    );
    let mut checkpoints = String::new();
    for entry in std::fs::read_dir(path("checkpoints")).unwrap() {
        checkpoints.push_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap());
    }

    let logs = logs.lock().unwrap().clone();
    assert!(
        logs.contains("DEBUG"),
        "the server did not log at debug level: {logs}"
    );
    let pem_body = |pem: String| pem.lines().nth(1).unwrap_or_default().to_string();
    let secrets = [
        ("alice's token", alice.clone()),
        ("bob's token", bob.clone()),
        ("carol's token", carol.clone()),
        ("a token minted over HTTP", fresh.clone()),
        ("the webhook secret", webhook_secret.clone()),
        ("the upstream password", upstream_password.clone()),
        (
            "the checkpoint key",
            pem_body(std::fs::read_to_string(path("signing.pem")).unwrap()),
        ),
        ("the TLS key", pem_body(ck.key_pair.serialize_pem())),
    ];
    let places = [
        ("the server's logs", logs),
        ("the audit log", events),
        ("the error bodies", bodies.join("\n")),
        ("/metrics", metrics),
        ("the checkpoint files", checkpoints),
    ];
    for (what, secret) in &secrets {
        assert!(
            secret.len() >= 16,
            "{what} is too short to search for: {secret}"
        );
        for (place, text) in &places {
            assert!(!text.contains(secret.as_str()), "{what} appears in {place}");
        }
    }
}

#[test]
fn plain_http_on_a_non_loopback_address_is_warned_about_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let database = sqlite(dir.path());
    let mut child = command()
        .args(["serve", "--listen", "0.0.0.0:0", "--database", &database])
        .arg("--config")
        .arg(fixture("wicket.toml"))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    assert!(line.starts_with("listening on http://0.0.0.0:"), "{line}");
    child.kill().unwrap();
    child.wait().unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(
        stderr.contains("serving plain HTTP on a non-loopback address"),
        "{stderr}"
    );
}
