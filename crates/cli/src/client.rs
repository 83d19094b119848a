//! The HTTP client of the API: base URL, bearer token, JSON in and out, and errors a person
//! can act on.

mod error;

pub use error::ApiFailure;

use std::time::Duration;

use anyhow::{Context, Result, bail};
use reqwest::{Method, RequestBuilder};
use serde_json::Value;

use crate::args::Global;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);
/// A streamed export's whole duration at most: a day.
const STREAM_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

pub struct Client {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Client {
    /// A client for `--server` with `--token`; fails with a hint when there is no token.
    pub fn new(global: &Global) -> Result<Client> {
        let stored = || crate::session::token_for(&global.server);
        let token = match global.token.as_deref().map(str::trim) {
            Some(t) if !t.is_empty() => t.to_string(),
            _ if let Some(t) = stored() => t,
            _ => bail!(
                "no API token: run `wicket login`, pass `--token TOKEN` or set `WICKET_TOKEN`; \
                 an administrator mints one with `wicket token create USER`"
            ),
        };
        let base = base_url(&global.server)?;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("wicket-cli/", env!("CARGO_PKG_VERSION")));
        if let Some(ca) = &global.ca {
            for cert in ca_certificates(ca)? {
                builder = builder.add_root_certificate(cert);
            }
        }
        let http = builder.build()?;
        Ok(Client { base, token, http })
    }

    /// `GET path?query`; query pairs with no value are left out.
    pub async fn get(&self, path: &str, query: &[(&str, Option<String>)]) -> Result<Value> {
        let query: Vec<(&str, &str)> = query
            .iter()
            .filter_map(|(k, v)| v.as_deref().map(|v| (*k, v)))
            .collect();
        self.send(self.request(Method::GET, path).query(&query))
            .await
    }

    /// `GET path?query` whose body is read as it arrives (an export): the response once its
    /// status is a success. Only the connection has a timeout; the body may take as long as
    /// it takes.
    pub async fn stream(
        &self,
        path: &str,
        query: &[(&str, Option<String>)],
    ) -> Result<reqwest::Response> {
        let query: Vec<(&str, &str)> = query
            .iter()
            .filter_map(|(k, v)| v.as_deref().map(|v| (*k, v)))
            .collect();
        let response = self
            .request(Method::GET, path)
            .query(&query)
            .timeout(STREAM_TIMEOUT)
            .send()
            .await
            .map_err(|e| error::transport(&self.base, &e))?;
        let status = response.status();
        if !status.is_success() {
            let bytes = response
                .bytes()
                .await
                .map_err(|e| error::transport(&self.base, &e))?;
            return Err(error::api(&self.base, status, &bytes));
        }
        Ok(response)
    }

    /// The next piece of a streamed body; `None` at its end.
    pub async fn chunk(&self, response: &mut reqwest::Response) -> Result<Option<Vec<u8>>> {
        response
            .chunk()
            .await
            .map(|c| c.map(|b| b.to_vec()))
            .map_err(|e| error::transport(&self.base, &e))
    }

    /// `POST path` with a JSON body.
    pub async fn post(&self, path: &str, body: &Value) -> Result<Value> {
        self.send(self.request(Method::POST, path).json(body)).await
    }

    fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token)
    }

    async fn send(&self, request: RequestBuilder) -> Result<Value> {
        let response = request
            .send()
            .await
            .map_err(|e| error::transport(&self.base, &e))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|e| error::transport(&self.base, &e))?;
        if !status.is_success() {
            return Err(error::api(&self.base, status, &bytes));
        }
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|_| error::not_json(&self.base, status))
    }
}

/// The certificates of `--ca FILE` (PEM); errors name the file.
fn ca_certificates(file: &std::path::Path) -> Result<Vec<reqwest::Certificate>> {
    let pem = std::fs::read(file)
        .with_context(|| format!("cannot read `--ca` file `{}`", file.display()))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|_| anyhow::anyhow!("`--ca` file `{}` is not PEM certificates", file.display()))?;
    if certs.is_empty() {
        bail!("`--ca` file `{}` holds no certificate", file.display());
    }
    Ok(certs)
}

/// `--server` without a trailing slash (or a trailing `/v1`: the API's prefix is added per
/// call); a bare `host:port` gets `http://`.
fn base_url(server: &str) -> Result<String> {
    let server = server.trim().trim_end_matches('/');
    let server = server.strip_suffix("/v1").unwrap_or(server);
    if server.is_empty() {
        bail!("`--server` is empty; pass a url like `http://127.0.0.1:7070`");
    }
    if server.starts_with("http://") || server.starts_with("https://") {
        return Ok(server.to_string());
    }
    if server.contains("://") {
        bail!("`{server}` is not an http url; pass one like `https://wicket.example:7070`");
    }
    Ok(format!("http://{server}"))
}

/// One path segment from user input (an id), percent-encoded so it stays one segment.
pub fn segment(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls() {
        assert_eq!(base_url("http://h:1/").unwrap(), "http://h:1");
        assert_eq!(base_url("127.0.0.1:7070").unwrap(), "http://127.0.0.1:7070");
        assert_eq!(base_url("https://h/").unwrap(), "https://h");
        assert!(base_url("ftp://h").is_err());
        assert_eq!(base_url("http://h:1/v1").unwrap(), "http://h:1");
        assert_eq!(base_url("http://h:1/v1/").unwrap(), "http://h:1");
    }

    #[test]
    fn ids_stay_one_segment() {
        assert_eq!(segment("req_01AB-x"), "req_01AB-x");
        assert_eq!(segment("../x?y"), "..%2Fx%3Fy");
    }
}
