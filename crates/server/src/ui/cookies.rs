//! The web UI's cookies: the session cookie, the sign-in form's CSRF cookie, reading one from
//! a request and writing a strict `Set-Cookie`.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

/// The session cookie.
pub const SESSION_COOKIE: &str = "wicket_session";
/// The pre-session cookie that carries the sign-in form's CSRF secret.
pub const LOGIN_COOKIE: &str = "wicket_login";

/// The value of cookie `name` in the request, if any.
pub fn read_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_string())
}

/// A `Set-Cookie` value: host-only, whole site, `HttpOnly; SameSite=Strict`, and `Secure`
/// when asked. `max_age` 0 deletes the cookie.
pub fn cookie(name: &str, value: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{name}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Strict{secure}",
        max_age.max(0)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn cookies_are_read_and_written_strictly() {
        let mut h = HeaderMap::new();
        h.append(
            COOKIE,
            HeaderValue::from_static("a=1; wicket_session=abc ; b=2"),
        );
        assert_eq!(read_cookie(&h, SESSION_COOKIE).as_deref(), Some("abc"));
        assert_eq!(read_cookie(&h, "missing"), None);
        let c = cookie(SESSION_COOKIE, "abc", 60, false);
        assert_eq!(
            c,
            "wicket_session=abc; Path=/; Max-Age=60; HttpOnly; SameSite=Strict"
        );
        assert!(cookie(SESSION_COOKIE, "abc", 60, true).ends_with("; Secure"));
    }
}
