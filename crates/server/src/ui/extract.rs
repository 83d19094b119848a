//! What a UI handler receives: the signed-in `Viewer` (from the session cookie, its token
//! re-verified on every request) and `Posted` forms, whose CSRF token is checked first.

use crate::error::ApiError;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};

use super::cookies::{SESSION_COOKIE, read_cookie};
use super::error::UiError;
use wicket_engine::app::{App, now};
use wicket_engine::tokens::verify_hash;
use wicket_engine::web_sessions::{Flash, same_secret};

/// The largest form body the UI accepts.
const MAX_FORM: usize = 64 * 1024;

/// The signed-in user of this request.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user: String,
    pub csrf: String,
    session_id: String,
}

impl Viewer {
    /// The message left by the previous action, once.
    pub fn take_flash(&self, app: &App) -> Option<Flash> {
        app.sessions.take_flash(&self.session_id)
    }

    pub fn flash(&self, app: &App, ok: bool, text: impl Into<String>) {
        app.sessions.set_flash(
            &self.session_id,
            Flash {
                ok,
                text: text.into(),
            },
        );
    }

    pub fn session_id(&self) -> &str {
        &self.session_id
    }
}

/// The path and query of the request, to come back to after signing in.
fn here(parts: &Parts) -> String {
    parts
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_string(), ToString::to_string)
}

/// The viewer, or `None` when there is no live session (or its token no longer verifies, in
/// which case the session ends).
pub async fn viewer(app: &App, headers: &HeaderMap) -> Result<Option<Viewer>, UiError> {
    let Some(id) = read_cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let Some(session) = app.sessions.get(&id, now()) else {
        return Ok(None);
    };
    match verify_hash(app, &session.token_hash)
        .await
        .map_err(ApiError::from)
    {
        Ok(_) => Ok(Some(Viewer {
            user: session.user,
            csrf: session.csrf,
            session_id: id,
        })),
        Err(e) if e.status == StatusCode::UNAUTHORIZED => {
            app.sessions.end(&id);
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

impl FromRequestParts<App> for Viewer {
    type Rejection = UiError;

    async fn from_request_parts(parts: &mut Parts, app: &App) -> Result<Viewer, UiError> {
        viewer(app, &parts.headers)
            .await?
            .ok_or_else(|| UiError::SignIn { next: here(parts) })
    }
}

/// A submitted form: its fields in order, repeated names kept.
#[derive(Clone, Debug, Default)]
pub struct FormData(pub Vec<(String, String)>);

impl FormData {
    pub fn parse(body: &[u8]) -> FormData {
        FormData(
            form_urlencoded::parse(body)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        )
    }

    /// The first value of `name`, as sent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed; `None` when missing or blank.
    pub fn text(&self, name: &str) -> Option<String> {
        self.get(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// Where to go after the action: a local path from the `back` field, else `default`.
    pub fn back(&self, default: &str) -> String {
        self.get("back")
            .filter(|b| is_local(b))
            .unwrap_or(default)
            .to_string()
    }
}

/// True for a path on this site (`/x`), never another origin (`//host`, `/\host`, `http:`).
pub fn is_local(path: &str) -> bool {
    path.starts_with('/')
        && !path.starts_with("//")
        && !path.contains('\\')
        && !path.chars().any(char::is_control)
}

/// A form posted by a signed-in viewer whose `csrf` field matches the session's secret.
pub struct Posted {
    pub viewer: Viewer,
    pub form: FormData,
}

/// Reads a form body of at most [`MAX_FORM`] bytes.
pub async fn read_form(req: Request) -> Result<FormData, UiError> {
    let body = axum::body::to_bytes(req.into_body(), MAX_FORM)
        .await
        .map_err(|_| {
            UiError::page(
                StatusCode::PAYLOAD_TOO_LARGE,
                "Form too large",
                format!("a form may carry at most {MAX_FORM} bytes"),
            )
        })?;
    Ok(FormData::parse(&body))
}

impl FromRequest<App> for Posted {
    type Rejection = UiError;

    async fn from_request(req: Request, app: &App) -> Result<Posted, UiError> {
        let (mut parts, body) = req.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, app)
            .await
            .map_err(|e| match e {
                // Going back to a form action after signing in would be a GET it does not take.
                UiError::SignIn { .. } => UiError::SignIn { next: "/".into() },
                other => other,
            })?;
        let form = read_form(Request::from_parts(parts, body)).await?;
        // INVARIANT: no state changes without the session's synchronizer token.
        if !same_secret(form.get("csrf").unwrap_or_default(), &viewer.csrf) {
            return Err(UiError::csrf());
        }
        Ok(Posted { viewer, form })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_keep_repeated_names_and_trim_text() {
        let f = FormData::parse(b"roles=a&roles=b&reason=+why+&ticket=&back=%2Finbox");
        assert_eq!(f.all("roles"), ["a", "b"]);
        assert_eq!(f.text("reason").as_deref(), Some("why"));
        assert_eq!(f.text("ticket"), None);
        assert_eq!(f.back("/"), "/inbox");
    }

    #[test]
    fn only_local_paths_are_followed() {
        for ok in ["/", "/inbox", "/requests/req_1?x=1"] {
            assert!(is_local(ok), "{ok}");
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "https://evil.example",
            "",
            "inbox",
            "/\r\nx",
        ] {
            assert!(!is_local(bad), "{bad}");
        }
        assert_eq!(FormData::parse(b"back=https://evil.example").back("/"), "/");
    }
}
