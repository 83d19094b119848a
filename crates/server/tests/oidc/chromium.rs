//! A real browser (headless Chromium) signs in through the provider's own login and consent
//! pages: the round trip works with wicket's `SameSite=Strict` session cookie, whose first
//! use follows a page of wicket's own, not the provider's redirect.

use crate::harness::world;
use crate::ui_browser::Driver;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_signs_in_through_the_providers_login_page() {
    let w = world().await;
    let driver = Driver::start().await;
    let c = driver.browser().await;
    c.goto(&w.url("/login")).await;
    c.screenshot("login-oidc", 1280).await;
    c.click("a.button.primary[href^='/login/oidc']").await;
    // The provider's own page, on another site.
    c.wait_for("input[name=login]").await;
    c.fill("input[name=login]", "ann").await;
    c.fill("input[name=password]", "any").await;
    c.click("button[type=submit]").await;
    c.wait_for("input[name=prompt][value=consent]").await;
    c.click("button[type=submit]").await;
    // Back at wicket, signed in: the navigation of a session, with the IdP user's name.
    c.wait_for("header.top nav").await;
    let url = c.client.current_url().await.unwrap();
    assert!(url.as_str().starts_with(&w.base), "{url}");
    let page = c.client.source().await.unwrap();
    assert!(page.contains("ann"), "{page}");
    c.close().await;
}
