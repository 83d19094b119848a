//! `wicket login` and `wicket logout`. Login signs in through the company's identity provider
//! with the device authorization grant (RFC 8628), which the server runs on the CLI's behalf
//! (the client secret stays on the server): it prints the provider's page and code, waits
//! while the person signs in there, and stores the wicket token it gets (see
//! [`crate::session`]). A provider without the device grant is signed in to through a
//! loopback redirect instead ([`loopback`]). Logout revokes that token and removes it.

mod loopback;

use std::time::{Duration, Instant};

use clap::Args;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::args::Global;
use crate::exit::Verdict;
use crate::session::{self, Stored};

#[derive(Debug, Args)]
pub struct LoginArgs {
    /// When the provider has no device grant: print the sign-in page, do not open a browser
    #[arg(long)]
    pub no_browser: bool,
}

fn http(global: &Global) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .user_agent(concat!("wicket-cli/", env!("CARGO_PKG_VERSION")));
    if let Some(ca) = &global.ca {
        let pem = std::fs::read(ca)
            .with_context(|| format!("cannot read `--ca` file `{}`", ca.display()))?;
        for cert in reqwest::Certificate::from_pem_bundle(&pem)
            .with_context(|| format!("`--ca` file `{}` is not PEM certificates", ca.display()))?
        {
            builder = builder.add_root_certificate(cert);
        }
    }
    Ok(builder.build()?)
}

fn server(global: &Global) -> String {
    global.server.trim().trim_end_matches('/').to_string()
}

/// The server's error message, from `{"error": {"message"}}`.
fn message(body: &Value) -> String {
    body["error"]["message"]
        .as_str()
        .unwrap_or("the server gave no reason")
        .to_string()
}

async fn post(http: &reqwest::Client, url: &str, body: Option<Value>) -> Result<(u16, Value)> {
    let req = http.post(url);
    let req = match body {
        Some(b) => req.json(&b),
        None => req,
    };
    let resp = req
        .send()
        .await
        .with_context(|| format!("cannot reach the wicket server at {url}"))?;
    let status = resp.status().as_u16();
    let body = resp.json().await.unwrap_or(Value::Null);
    Ok((status, body))
}

pub async fn login(global: &Global, args: &LoginArgs) -> Result<Verdict> {
    let http = http(global)?;
    let base = server(global);
    let (status, started) = post(&http, &format!("{base}/login/oidc/device"), None).await?;
    match status {
        201 => {}
        501 if started["error"]["code"] == "device_grant_unsupported" => {
            let signed = loopback::sign_in(&http, &base, args.no_browser).await?;
            return keep(base, &signed);
        }
        404 | 501 => bail!(
            "{}; sign in on the web UI, or use a token (`--token`)",
            message(&started)
        ),
        _ => bail!(
            "the server could not start a sign-in: {}",
            message(&started)
        ),
    }
    let handle = started["handle"]
        .as_str()
        .context("the server sent no handle")?;
    let code = started["user_code"].as_str().unwrap_or_default();
    let page = started["verification_uri"].as_str().unwrap_or_default();
    eprintln!("To sign in, open {page} and enter the code {code}");
    if let Some(complete) = started["verification_uri_complete"].as_str() {
        eprintln!("(or open {complete})");
    }
    eprintln!("Waiting for the identity provider...");
    let mut interval = started["interval"].as_u64().unwrap_or(5).max(1);
    let deadline =
        Instant::now() + Duration::from_secs(started["expires_in"].as_u64().unwrap_or(600));
    let signed = loop {
        if Instant::now() >= deadline {
            bail!("the sign-in code expired before it was used; run `wicket login` again");
        }
        tokio::time::sleep(Duration::from_secs(interval)).await;
        let (status, body) = post(
            &http,
            &format!("{base}/login/oidc/device/poll"),
            Some(json!({ "handle": handle })),
        )
        .await?;
        match status {
            200 => break body,
            202 => interval = body["interval"].as_u64().unwrap_or(interval).max(1),
            _ => bail!("sign-in refused: {}", message(&body)),
        }
    };
    keep(base, &signed)
}

/// Stores the session of a finished sign-in and says who signed in.
fn keep(base: String, signed: &Value) -> Result<Verdict> {
    let stored = Stored {
        server: base,
        token: signed["token"]
            .as_str()
            .context("the server sent no token")?
            .to_string(),
        id: signed["id"].as_str().unwrap_or_default().to_string(),
        user: signed["user"].as_str().unwrap_or_default().to_string(),
        expires_at: signed["expires_at"].as_str().map(str::to_string),
    };
    let path = session::save(&stored)?;
    let groups: Vec<&str> = signed["groups"]
        .as_array()
        .map(|g| g.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    println!(
        "signed in as {} (groups: {}) until {}; session kept in {}",
        stored.user,
        if groups.is_empty() {
            "-".to_string()
        } else {
            groups.join(", ")
        },
        stored.expires_at.as_deref().unwrap_or("-"),
        path.display()
    );
    Ok(Verdict::Yes)
}

pub async fn logout(global: &Global) -> Result<Verdict> {
    let Some(stored) = session::load()? else {
        println!("not signed in");
        return Ok(Verdict::Yes);
    };
    let http = http(global)?;
    let url = format!("{}/v1/tokens/{}/revoke", stored.server, stored.id);
    let revoked = http.post(&url).bearer_auth(&stored.token).send().await;
    session::remove()?;
    match revoked {
        // Revoked now, or already unusable (revoked, expired, unknown): either way it is over.
        Ok(r)
            if r.status().is_success()
                || r.status().as_u16() == 401
                || r.status().as_u16() == 409 =>
        {
            println!("signed out {}", stored.user);
            Ok(Verdict::Yes)
        }
        Ok(r) => bail!(
            "the session file is removed, but the server did not revoke the token (HTTP {}); \
             it expires at {}",
            r.status(),
            stored.expires_at.as_deref().unwrap_or("its end")
        ),
        Err(e) => bail!(
            "the session file is removed, but the server at {} could not be reached to revoke \
             the token ({e}); it expires at {}",
            stored.server,
            stored.expires_at.as_deref().unwrap_or("its end")
        ),
    }
}
