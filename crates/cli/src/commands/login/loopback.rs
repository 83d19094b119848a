//! `wicket login` through a loopback redirect (RFC 8252), for providers without the device
//! grant: listen on 127.0.0.1 (a port the system picks), keep a random verifier and give the
//! server only its S256 challenge, open the provider's page in a browser (`BROWSER`, else
//! `xdg-open` or `open`; the page is always printed), and wait for the browser to come back
//! with a one-time code, which is worth a wicket token only with the verifier. The browser is
//! told whether it worked and that it may close the window.

use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wicket_engine::oidc::challenge;
use wicket_engine::web_sessions::random_secret;

use super::{message, post};

/// The most of a request from the browser that is read.
const MAX_REQUEST: usize = 16 * 1024;
/// How long a connection to the listener may take to send its request.
const READ_FOR: Duration = Duration::from_secs(10);

/// Signs in through the browser; the server's answer with the wicket token.
pub async fn sign_in(http: &reqwest::Client, base: &str, no_browser: bool) -> Result<Value> {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("cannot listen on 127.0.0.1 for the identity provider's answer")?;
    let port = listener.local_addr()?.port();
    let verifier = random_secret();
    let (status, started) = post(
        http,
        &format!("{base}/login/oidc/loopback"),
        Some(json!({ "port": port, "challenge": challenge(&verifier) })),
    )
    .await?;
    if status != 201 {
        bail!(
            "the server could not start a sign-in: {}",
            message(&started)
        );
    }
    let url = started["authorize_url"]
        .as_str()
        .context("the server sent no sign-in page")?;
    eprintln!("To sign in, open this page in a browser: {url}");
    if !no_browser && !open_browser(url) {
        eprintln!("(no browser could be opened; open the page yourself)");
    }
    eprintln!("Waiting for the identity provider...");
    let wait = Duration::from_secs(started["expires_in"].as_u64().unwrap_or(600));
    tokio::time::timeout(wait, answer(&listener, http, base, &verifier))
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "no sign-in within {} s; run `wicket login` again",
                wait.as_secs()
            )
        })?
}

/// Waits for the browser's return to `/callback`, redeems its code and tells the browser.
async fn answer(
    listener: &TcpListener,
    http: &reqwest::Client,
    base: &str,
    verifier: &str,
) -> Result<Value> {
    loop {
        let (mut conn, _) = listener.accept().await?;
        let Some(target) = request_target(&mut conn).await else {
            continue;
        };
        let Ok(url) = reqwest::Url::parse(&format!("http://127.0.0.1{target}")) else {
            continue;
        };
        if url.path() != "/callback" {
            reply(
                &mut conn,
                "404 Not Found",
                "Not found",
                "This is wicket login's listener.",
            )
            .await;
            continue;
        }
        let param = |k: &str| {
            url.query_pairs()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.into_owned())
        };
        if let Some(error) = param("error") {
            let why = param("error_description").unwrap_or(error);
            reply(&mut conn, "200 OK", "Sign-in refused", &why).await;
            bail!("sign-in refused: {why}");
        }
        let Some(code) = param("code") else {
            reply(
                &mut conn,
                "400 Bad Request",
                "Sign-in refused",
                "no sign-in code",
            )
            .await;
            bail!("sign-in refused: the browser came back without a code");
        };
        let (status, body) = post(
            http,
            &format!("{base}/login/oidc/loopback/token"),
            Some(json!({ "code": code, "verifier": verifier })),
        )
        .await?;
        if status != 200 {
            let why = message(&body);
            reply(&mut conn, "200 OK", "Sign-in refused", &why).await;
            bail!("sign-in refused: {why}");
        }
        let user = body["user"].as_str().unwrap_or_default();
        reply(
            &mut conn,
            "200 OK",
            "Signed in",
            &format!("Signed in to wicket as {user}. You may close this window."),
        )
        .await;
        return Ok(body);
    }
}

/// The request target of the request on `conn` (`/callback?code=...`), read whole.
async fn request_target(conn: &mut TcpStream) -> Option<String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 2048];
    let read = async {
        while !buf.windows(4).any(|w| w == b"\r\n\r\n") && buf.len() < MAX_REQUEST {
            let n = conn.read(&mut chunk).await.ok()?;
            if n == 0 {
                return None;
            }
            buf.extend_from_slice(&chunk[..n]);
        }
        Some(())
    };
    tokio::time::timeout(READ_FOR, read).await.ok()??;
    let head = String::from_utf8_lossy(&buf);
    let mut words = head.lines().next()?.split(' ');
    match (words.next(), words.next()) {
        (Some("GET"), Some(target)) if target.starts_with('/') => Some(target.to_string()),
        _ => None,
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Answers the browser with a small page; a browser gone already is no matter.
async fn reply(conn: &mut TcpStream, status: &str, title: &str, text: &str) {
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>wicket: {t}</title></head>\
         <body><h1>{t}</h1><p>{x}</p></body></html>",
        t = escape(title),
        x = escape(text)
    );
    let resp = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = conn.write_all(resp.as_bytes()).await;
    let _ = conn.shutdown().await;
}

/// Opens `url` in a browser: each command of `BROWSER` (colon separated; `%s` stands for the
/// URL, else it is the last argument) until one starts, else the system's opener. True when
/// one started.
fn open_browser(url: &str) -> bool {
    let commands: Vec<String> = match std::env::var("BROWSER") {
        Ok(b) if !b.trim().is_empty() => b.split(':').map(str::to_string).collect(),
        _ if cfg!(target_os = "macos") => vec!["open".into()],
        _ => vec!["xdg-open".into()],
    };
    for command in commands {
        let mut words = command.split_whitespace();
        let Some(program) = words.next() else {
            continue;
        };
        let mut args: Vec<String> = words.map(|w| w.replace("%s", url)).collect();
        if !command.contains("%s") {
            args.push(url.to_string());
        }
        let started = Command::new(program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        if let Ok(mut child) = started {
            // Reaped when it ends; the sign-in does not wait for it.
            std::thread::spawn(move || child.wait());
            return true;
        }
    }
    false
}
