//! A browser's view of the web UI over plain HTTP, for the test binaries that sign in without
//! Chromium (the API's route matrix, the UI's form checks): a client that does not follow
//! redirects, and the cookies a response sets.

use reqwest::header::SET_COOKIE;
use reqwest::redirect::Policy;
use reqwest::{Client, Response};

/// A client that does not follow redirects, so a test sees where the UI sends the browser.
pub fn client() -> Client {
    Client::builder()
        .redirect(Policy::none())
        .pool_idle_timeout(wicket_testkit::HTTP_IDLE)
        .build()
        .unwrap()
}

/// The `name=value` of cookie `name` among the response's `Set-Cookie` headers, and its
/// whole header.
pub fn set_cookie(resp: &Response, name: &str) -> Option<(String, String)> {
    resp.headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let pair = v.split(';').next()?.trim();
            pair.starts_with(&format!("{name}="))
                .then(|| (pair.to_string(), v.to_string()))
        })
}
