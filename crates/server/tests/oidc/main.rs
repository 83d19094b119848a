//! Sign-in through a real OpenID Provider: the npm package `oidc-provider` (OpenID Certified)
//! run by `provider/provider.js` on loopback, its own login and consent pages posted as a
//! browser would. The browser's code flow, the device grant behind `wicket login` and its
//! loopback redirect for providers without it, key rotation, and every kind of hostile ID
//! token, each refused with its reason.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod browser;
mod harness;
mod provider;
#[allow(dead_code)]
#[path = "../ui/browser.rs"]
mod ui_browser;

mod chromium;

mod device;
mod loopback;
mod tokens;
mod web;
