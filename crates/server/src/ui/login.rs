//! Signing in with a wicket token, and out. The sign-in form has its own CSRF secret in a
//! short-lived `wicket_login` cookie (double submit), since there is no session yet.

use axum::extract::{RawQuery, Request, State};
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

use super::cookies::{LOGIN_COOKIE, SESSION_COOKIE, cookie, read_cookie};
use super::error::{UiResult, see_other};
use super::extract::{FormData, Posted, is_local, read_form, viewer};
use super::fmt::{Problem, Slot, rich};
use super::layout::{bare, respond};
use crate::error::ApiError;
use wicket_core::TokenRecord;
use wicket_engine::app::{App, now};
use wicket_engine::tokens::verify_token;
use wicket_engine::web_sessions::{random_secret, same_secret};

/// How long a sign-in form stays valid.
const LOGIN_FORM_SECONDS: i64 = 3600;

/// `Secure` cookies when configured, or when a TLS-terminating proxy says the client used https.
pub(super) fn secure(app: &App, headers: &HeaderMap) -> bool {
    app.sessions.secure()
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// A new session for `record`, in place of the browser's: a new id at every sign-in, so that a
/// session id planted before sign-in is worth nothing after. Its cookie.
pub(super) fn new_session(app: &App, headers: &HeaderMap, record: &TokenRecord) -> String {
    if let Some(old) = read_cookie(headers, SESSION_COOKIE) {
        app.sessions.end(&old);
    }
    let at = now();
    let (id, session) = app.sessions.start(record, at);
    let max_age = (session.expires_at - at).num_seconds();
    cookie(SESSION_COOKIE, &id, max_age, secure(app, headers))
}

pub(super) fn next_of(form: &FormData) -> String {
    form.get("next")
        .filter(|n| is_local(n))
        .unwrap_or("/")
        .to_string()
}

pub(super) fn with_cookies(mut resp: Response, cookies: &[String]) -> Response {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(c) {
            resp.headers_mut().append(SET_COOKIE, v);
        }
    }
    resp
}

fn form(nonce: &str, next: &str, problem: Option<&Problem>, idp: Option<&str>) -> Markup {
    let token = Slot::new("login", "token", problem);
    let general = problem
        .filter(|p| p.field.is_none())
        .map(|p| p.message.clone());
    bare(
        "Sign in",
        html! {
            @if let Some(name) = idp { (super::oidc::button(name, next)) }
            form.card method="post" action="/login" novalidate {
                @if let Some(m) = general { p.form-error role="alert" { (rich(&m)) } }
                input type="hidden" name="csrf" value=(nonce);
                input type="hidden" name="next" value=(next);
                label for=(token.id) { "Wicket token" }
                input #(token.id) type="password" name="token" autocomplete="off" spellcheck="false" required
                    aria-invalid=[token.invalid()] aria-describedby=[token.described_by(true)];
                (token.notes(Some(html! { "Create one with " code { "wicket token create USER" } "; it starts with " code { "wkt_" } "." })))
                button.primary type="submit" { "Sign in" }
            }
        },
    )
}

/// Shows the sign-in form with a fresh form secret.
pub(super) fn show(
    app: &App,
    headers: &HeaderMap,
    status: StatusCode,
    next: &str,
    problem: Option<&Problem>,
) -> Response {
    let nonce = random_secret();
    let idp = app.oidc.as_ref().map(|o| o.config().display_name.as_str());
    let resp = respond(status, form(&nonce, next, problem, idp));
    with_cookies(
        resp,
        &[cookie(
            LOGIN_COOKIE,
            &nonce,
            LOGIN_FORM_SECONDS,
            secure(app, headers),
        )],
    )
}

pub async fn page(
    State(app): State<App>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> UiResult<Response> {
    let next = next_of(&FormData::parse(query.unwrap_or_default().as_bytes()));
    if viewer(&app, &headers).await?.is_some() {
        return Ok(see_other(&next));
    }
    Ok(show(&app, &headers, StatusCode::OK, &next, None))
}

pub async fn submit(State(app): State<App>, req: Request) -> UiResult<Response> {
    let headers = req.headers().clone();
    let form = read_form(req).await?;
    let next = next_of(&form);
    let expected = read_cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if !same_secret(form.get("csrf").unwrap_or_default(), &expected) {
        let p = Problem {
            form: "login".into(),
            field: None,
            message: "the sign-in form expired or did not come from this site; sign in again"
                .into(),
            status: StatusCode::FORBIDDEN,
        };
        return Ok(show(&app, &headers, StatusCode::FORBIDDEN, &next, Some(&p)));
    }
    let token = form.text("token").unwrap_or_default();
    let record = match verify_token(&app, &token).await.map_err(ApiError::from) {
        Ok(r) => r,
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            let mut p = Problem::new("login", e);
            p.field = Some("token");
            return Ok(show(
                &app,
                &headers,
                StatusCode::UNAUTHORIZED,
                &next,
                Some(&p),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    let session = new_session(&app, &headers, &record);
    Ok(with_cookies(
        see_other(&next),
        &[session, cookie(LOGIN_COOKIE, "", 0, secure(&app, &headers))],
    ))
}

pub async fn logout(State(app): State<App>, headers: HeaderMap, posted: Posted) -> Response {
    super::oidc::signed_out(&app, posted.viewer.session_id(), now()).await;
    app.sessions.end(posted.viewer.session_id());
    with_cookies(
        see_other("/login"),
        &[cookie(SESSION_COOKIE, "", 0, secure(&app, &headers))],
    )
}

/// A 401 for script requests without a session (the poller stops instead of parsing a page).
pub fn unauthenticated() -> Response {
    ApiError::unauthorized("no_session", "the session has ended; sign in again").into_response()
}
