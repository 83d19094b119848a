//! Web UI tests: the real server on a free port, driven by headless Chromium over WebDriver
//! (fantoccini and chromedriver), plus form-level checks over plain HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod browser;
#[path = "../common/cookies.rs"]
mod cookies;
mod harness;

mod extend;
mod flow;
mod forms;
mod http;
mod overview;
mod reviews;
mod reviews_report;
