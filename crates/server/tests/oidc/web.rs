//! The browser's sign-in: wicket's button, the provider's own login and consent pages, and
//! back; the session works like a token sign-in's, the IdP's groups decide, and every
//! tampered or replayed answer is refused with its reason and audited.

use std::time::Duration;

use wicket_core::{Action, Resource};
use wicket_engine::app::now;
use wicket_engine::oidc::REFETCH_AFTER;

use crate::browser::{Browser, Page, form, set, through_provider};
use crate::harness::{World, world};

/// Posts the provider's forms (login as `login`, consent) until its answer heads for
/// wicket's callback; returns that callback URL, not yet fetched.
pub async fn at_provider(b: &Browser, page: Page, login: &str) -> String {
    let page = through_provider(b, page, login, |l| l.contains("/login/oidc/callback")).await;
    match page.location {
        Some(l) if l.contains("/login/oidc/callback") => l,
        _ => panic!(
            "the provider never sent the browser back: {} {}",
            page.status, page.body
        ),
    }
}

/// Begins a sign-in at wicket (`/login/oidc?next=...`); the provider's authorization URL.
async fn begin(w: &World, b: &Browser, next: &str) -> String {
    let p = b
        .get(&w.url(&format!("/login/oidc?next={}", urlencode(next))))
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    p.location.unwrap()
}

fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A whole sign-in as `login`; wicket's answer to the callback.
async fn sign_in(w: &World, b: &Browser, login: &str, next: &str) -> Page {
    let auth = begin(w, b, next).await;
    let page = b.get(&auth).await;
    let callback = at_provider(b, page, login).await;
    b.get(&callback).await
}

fn reason(e: &wicket_core::AuditEvent) -> String {
    let d: serde_json::Value = serde_json::from_str(&e.details).unwrap();
    d["reason"].as_str().unwrap_or_default().to_string()
}

/// Asserts that sign-in step `page` was refused (401) saying `says`.
fn assert_refused(page: &Page, says: &str) {
    assert_eq!(page.status, 401, "{}", page.body);
    assert!(page.body.contains(says), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_signs_in_through_the_providers_own_pages_and_their_groups_decide() {
    let w = world().await;
    let b = Browser::new();
    let login = b.get(&w.url("/login")).await;
    assert!(
        login.body.contains("Sign in with Test IdP"),
        "{}",
        login.body
    );
    assert!(login.body.contains("Wicket token"), "token sign-in stays");

    let auth = begin(&w, &b, "/grants").await;
    assert!(
        auth.starts_with(&format!("{}/auth?", w.provider.issuer)),
        "{auth}"
    );
    for part in [
        "code_challenge_method=S256",
        "code_challenge=",
        "state=",
        "nonce=",
        "scope=openid+profile+email+groups",
    ] {
        assert!(auth.contains(part), "{part} missing from {auth}");
    }
    let page = b.get(&auth).await;
    let callback = at_provider(&b, page, "ann").await;
    let done = b.get(&callback).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.refresh.as_deref(), Some("0; url=/grants"));
    assert!(b.cookie(&w.base, "wicket_session").is_some());

    // The session works as a token sign-in's does.
    let mine = b.get(&w.url("/")).await;
    assert_eq!(mine.status, 200);
    assert!(
        !mine.body.contains("Wicket token"),
        "still the sign-in page"
    );
    assert!(mine.body.contains("ann"), "{}", mine.body);

    // Groups from the claim, mapped: `sre` kept, the unmapped one left out; they decide.
    let app = &w.wicket.app;
    assert_eq!(
        app.identities.groups_of("ann"),
        Some(vec!["sre".to_string()])
    );
    let read = Action::parse("db:read").unwrap();
    let d = app.decide(
        "ann",
        &read,
        &Resource::parse("db/prod/orders").unwrap(),
        now(),
    );
    assert!(d.allowed, "{}", d.reason);
    let write = Action::parse("db:write").unwrap();
    assert!(
        !app.decide(
            "ann",
            &write,
            &Resource::parse("db/prod/orders").unwrap(),
            now()
        )
        .allowed
    );

    // Signing out revokes the token minted for the session.
    let at = mine.body.find("action=\"/logout\"").unwrap();
    let needle = "name=\"csrf\" value=\"";
    let csrf_at = mine.body[at..].find(needle).unwrap() + at + needle.len();
    let csrf = &mine.body[csrf_at..csrf_at + 64];
    let out = b
        .post(&w.url("/logout"), &[("csrf".to_string(), csrf.to_string())])
        .await;
    assert_eq!(out.status, 303, "{}", out.body);
    let revoked = w.events("token.revoked").await;
    assert_eq!(revoked.len(), 1, "the session's token was not revoked");
    assert_eq!(revoked[0].subject.as_deref(), Some("user:ann"));

    let signed = w.events("auth.signed_in").await;
    assert_eq!(signed.len(), 1);
    assert_eq!(signed[0].subject.as_deref(), Some("user:ann"));
    let d: serde_json::Value = serde_json::from_str(&signed[0].details).unwrap();
    assert_eq!(d["via"], "web");
    assert_eq!(d["groups"], serde_json::json!(["sre"]));
    assert!(
        !signed[0].details.contains("eyJ"),
        "no token in the audit log"
    );

    // The same answer again: refused (its `state` is used up, and the browser's binding to
    // the sign-in went with it).
    let again = b.get(&callback).await;
    assert_eq!(again.status, 401);
    assert!(again.body.contains("sign in again"), "{}", again.body);
    let failed = w.events("auth.failed").await;
    assert_eq!(reason(failed.last().unwrap()), "state_mismatch");

    // Token sign-in still works beside it.
    let token = wicket_engine::admin::token_changes(
        "alice",
        "test",
        None,
        now(),
        &mut wicket_engine::ids::RandomIds,
    );
    app.commit(token.1).await.unwrap();
    let b2 = Browser::new();
    let form_page = b2.get(&w.url("/login")).await;
    let (action, mut fields) = form(&form_page);
    set(&mut fields, "token", &token.0);
    let signed_in = b2.post(&action, &fields).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_replayed_and_foreign_answers_are_refused_with_their_reason() {
    let w = world().await;

    // A nonce the provider was not sent by wicket: the ID token carries the forged one.
    let b = Browser::new();
    let auth = begin(&w, &b, "/").await;
    let forged = regex_replace(&auth, "nonce=", "nonce=forged");
    let callback = at_provider(&b, b.get(&forged).await, "ann").await;
    let page = b.get(&callback).await;
    assert_refused(&page, "nonce");
    assert!(b.cookie(&w.base, "wicket_session").is_none());

    // A code used once, presented again under a new sign-in's state: the provider refuses.
    let b = Browser::new();
    let auth = begin(&w, &b, "/").await;
    let first = at_provider(&b, b.get(&auth).await, "ann").await;
    assert_eq!(b.get(&first).await.status, 200);
    let code = query(&first, "code");
    let auth2 = begin(&w, &b, "/").await;
    let state2 = query(&auth2, "state");
    let replay = w.url(&format!("/login/oidc/callback?code={code}&state={state2}"));
    let page = b.get(&replay).await;
    assert_refused(&page, "invalid_grant");

    // An answer delivered to another browser than the one that began the sign-in.
    let (b1, b2) = (Browser::new(), Browser::new());
    let auth = begin(&w, &b1, "/").await;
    let callback = at_provider(&b1, b1.get(&auth).await, "ann").await;
    let page = b2.get(&callback).await;
    assert_refused(&page, "did not begin this sign-in");

    // The provider's own refusal.
    let b = Browser::new();
    let auth = begin(&w, &b, "/").await;
    let state = query(&auth, "state");
    let page = b
        .get(&w.url(&format!(
            "/login/oidc/callback?error=access_denied&state={state}"
        )))
        .await;
    assert_refused(&page, "access_denied");

    // After sign-in the browser goes only to a page of this site.
    let b = Browser::new();
    let page = sign_in(&w, &b, "ann", "https://evil.example/steal").await;
    assert_eq!(page.status, 200);
    assert_eq!(page.refresh.as_deref(), Some("0; url=/"));

    // A username that is not a wicket name; a groups claim that is not a list.
    let b = Browser::new();
    let page = sign_in(&w, &b, "bad name", "/").await;
    assert_refused(&page, "not a usable wicket user name");
    let b = Browser::new();
    let page = sign_in(&w, &b, "bob", "/").await;
    assert_refused(&page, "is a string, not a list of strings");
    assert!(!w.wicket.app.identities.knows("bob"));

    let reasons: Vec<String> = w.events("auth.failed").await.iter().map(reason).collect();
    for r in [
        "nonce_mismatch",
        "code_refused",
        "state_mismatch",
        "provider_error",
        "invalid_username",
        "invalid_groups",
    ] {
        assert!(
            reasons.iter().any(|x| x == r),
            "{r} not audited: {reasons:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_signing_key_is_fetched_when_a_token_names_it() {
    let mut w = world().await;
    let b = Browser::new();
    assert_eq!(sign_in(&w, &b, "ann", "/").await.status, 200);
    let old = w.provider.keys()[0].0.clone();
    w.rotate_keys().await;
    let new = w.provider.keys()[0].0.clone();
    assert_ne!(old, new);
    // Wicket fetches keys again at most every REFETCH_AFTER: let that pass first.
    tokio::time::sleep(REFETCH_AFTER + Duration::from_millis(200)).await;
    let b = Browser::new();
    let page = sign_in(&w, &b, "ann", "/").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(w.events("auth.signed_in").await.len(), 2);
}

fn query(url: &str, name: &str) -> String {
    let url = reqwest::Url::parse(url).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.to_string())
        .unwrap()
}

/// `url` with the value of the parameter that `prefix` (`name=`) starts replaced by
/// `replacement` (`name=value`).
fn regex_replace(url: &str, prefix: &str, replacement: &str) -> String {
    let i = url.find(prefix).unwrap();
    let end = url[i..].find('&').map_or(url.len(), |e| i + e);
    format!("{}{replacement}{}", &url[..i], &url[end..])
}
