//! "Sign in with …": the browser's round trip through the identity provider
//! (`[auth.oidc]`). `/login/oidc` begins it (the engine keeps `state`, `nonce` and the PKCE
//! verifier; a short-lived `SameSite=Lax` cookie binds it to this browser, since it must come
//! back on the provider's cross-site redirect); `/login/oidc/callback` finishes it and opens
//! the same session a token sign-in opens, or hands a loopback sign-in of `wicket login` to
//! [`crate::signin::loopback`]. Refusals are audited and shown on the sign-in page.

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::http::header::REFRESH;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use axum::routing::get;
use maud::{Markup, html};
use wicket_core::config::auth::CALLBACK_PATH;
use wicket_engine::app::App;
use wicket_engine::identity;
use wicket_engine::oidc::Refusal;

use super::cookies::read_cookie;
use super::error::see_other;
use super::extract::FormData;
use super::fmt::Problem;
use super::layout::{bare, error_page, respond};
use super::login::{new_session, next_of, secure, show, with_cookies};

/// The cookie binding a sign-in under way to the browser that began it.
const FLOW_COOKIE: &str = "wicket_oidc";
/// As long as the engine keeps a sign-in under way.
const FLOW_SECONDS: i64 = 600;

pub fn router() -> Router<App> {
    Router::new()
        .route("/login/oidc", get(begin))
        .route(CALLBACK_PATH, get(callback))
}

/// Signing out of a session that began at the identity provider also revokes the token minted
/// for it, which no one else holds.
pub async fn signed_out(app: &App, session_id: &str, at: wicket_core::Time) {
    let Some(session) = app.sessions.get(session_id, at) else {
        return;
    };
    let record = match app.store.get_token(&session.token_id).await {
        Ok(Some(r)) if r.created_by == "oidc" && r.revoked_at.is_none() => r,
        _ => return,
    };
    let changes = wicket_engine::admin::revoke_changes(
        &record,
        &session.user,
        at,
        &mut wicket_engine::ids::RandomIds,
    );
    match app.commit(changes).await {
        Ok(()) => app.tokens.evict(&record.id),
        Err(e) => tracing::warn!(error = %e, "could not revoke a signed-out session's token"),
    }
}

/// The button on the sign-in page.
pub fn button(name: &str, next: &str) -> Markup {
    let href = format!(
        "/login/oidc?{}",
        form_urlencoded::Serializer::new(String::new())
            .append_pair("next", next)
            .finish()
    );
    html! {
        p.card { a.button.primary href=(href) { "Sign in with " (name) } }
    }
}

/// The flow cookie: only sent to `/login/oidc`, and on top-level navigations from the provider.
fn flow_cookie(value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{FLOW_COOKIE}={value}; Path=/login/oidc; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
        max_age.max(0)
    )
}

fn not_configured() -> Response {
    error_page(
        StatusCode::NOT_FOUND,
        "Not configured",
        "sign-in through an identity provider is not configured on this server (`[auth.oidc]`)",
    )
}

/// Shows the sign-in page with `refusal`, and forgets the flow.
fn refuse(app: &App, headers: &HeaderMap, next: &str, refusal: &Refusal) -> Response {
    let status = if refusal.code == "provider_unavailable" {
        StatusCode::BAD_GATEWAY
    } else {
        StatusCode::UNAUTHORIZED
    };
    let p = Problem {
        form: "login".into(),
        field: None,
        message: format!("Sign-in refused: {}", refusal.message),
        status,
    };
    let resp = show(app, headers, status, next, Some(&p));
    with_cookies(resp, &[flow_cookie("", 0, secure(app, headers))])
}

async fn begin(State(app): State<App>, headers: HeaderMap, RawQuery(query): RawQuery) -> Response {
    let Some(oidc) = app.oidc.clone() else {
        return not_configured();
    };
    let next = next_of(&FormData::parse(query.unwrap_or_default().as_bytes()));
    match oidc.begin(&next).await {
        Ok(begun) => with_cookies(
            see_other(&begun.url),
            &[flow_cookie(
                &begun.binding,
                FLOW_SECONDS,
                secure(&app, &headers),
            )],
        ),
        Err(r) => {
            identity::refused(&app, &r, "web").await;
            refuse(&app, &headers, &next, &r)
        }
    }
}

/// The provider's code in its answer `q`, or why there is none.
fn provider_code<'q>(q: &'q FormData, issuer: &str) -> Result<&'q str, Refusal> {
    if let Some(error) = q.get("error") {
        let mut m = format!("the identity provider answered `{error}`");
        if let Some(d) = q.get("error_description") {
            m.push_str(&format!(": {d}"));
        }
        return Err(Refusal::new("provider_error", m));
    }
    // RFC 9207: a provider that names itself must name the configured issuer.
    if q.get("iss").is_some_and(|i| i != issuer) {
        return Err(Refusal::new(
            "wrong_issuer",
            "the answer came from another identity provider (`iss` is not the configured issuer)",
        ));
    }
    q.get("code").ok_or_else(|| {
        Refusal::new(
            "malformed_callback",
            "the identity provider's answer lacks `state` or `code`",
        )
    })
}

async fn callback(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Response {
    let Some(oidc) = app.oidc.clone() else {
        return not_configured();
    };
    let q = FormData::parse(query.unwrap_or_default().as_bytes());
    let binding = read_cookie(&headers, FLOW_COOKIE).unwrap_or_default();
    let code = provider_code(&q, &oidc.config().issuer);
    // A loopback sign-in (`wicket login` without the device grant) goes back to the CLI.
    if let Some(flow) = q.get("state").and_then(|s| oidc.loopback_take(s)) {
        return crate::signin::loopback::answered(&app, &oidc, &flow, code).await;
    }
    let outcome = match (code, q.get("state")) {
        (Err(r), state) => {
            // The sign-in under way is over either way.
            if let Some(state) = state {
                let _ = oidc.finish(state, "", "").await;
            }
            Err(r)
        }
        (Ok(code), Some(state)) if !binding.is_empty() => oidc.finish(state, code, &binding).await,
        (Ok(_), Some(_)) => Err(Refusal::new(
            "state_mismatch",
            "this browser did not begin this sign-in (its sign-in cookie is missing); sign in again",
        )),
        (Ok(_), None) => Err(Refusal::new(
            "malformed_callback",
            "the identity provider's answer lacks `state` or `code`",
        )),
    };
    let (who, next) = match outcome {
        Ok(v) => v,
        Err(r) => {
            identity::refused(&app, &r, "web").await;
            return refuse(&app, &headers, "/", &r);
        }
    };
    let (_, record) = match identity::sign_in(&app, &who, "web").await {
        Ok(v) => v,
        Err(e) => {
            let r = Refusal::new("sign_in_failed", e.to_string());
            identity::refused(&app, &r, "web").await;
            return refuse(&app, &headers, &next, &r);
        }
    };
    let session = new_session(&app, &headers, &record);
    // The session cookie is `SameSite=Strict`: a redirect chain that began at the provider
    // would not carry it, so the browser goes on from a page of this site.
    let mut resp = respond(
        StatusCode::OK,
        bare(
            "Signed in",
            html! {
                p { "Signed in as " strong { (who.user) } "." }
                p { a.button.primary href=(next) { "Continue" } }
            },
        ),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("0; url={next}")) {
        resp.headers_mut().insert(REFRESH, v);
    }
    with_cookies(resp, &[session, flow_cookie("", 0, secure(&app, &headers))])
}
