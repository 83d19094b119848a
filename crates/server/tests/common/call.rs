//! One call of the wicket API with a bearer token, for the test binaries that talk to a server
//! of their own (a process, a replica, the SCIM server): the status and the answer, JSON where
//! it parses and its text where it does not.

use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

/// `method` `base``path` with `token` and the JSON `body`, if any; a transport error (the
/// server is gone) is returned, for the caller to judge.
pub async fn call(
    client: &Client,
    base: &str,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> Result<(StatusCode, Value), reqwest::Error> {
    let mut req = client
        .request(method, format!("{base}{path}"))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await?;
    let status = resp.status();
    let text = resp.text().await?;
    Ok((
        status,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    ))
}
