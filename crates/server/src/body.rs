//! JSON request bodies, query strings and path parameters, parsed with errors that name what
//! is at fault.
//!
//! The content-type rule, the same on every endpoint: a request body, when one is sent, is
//! JSON labelled `Content-Type: application/json` (415 `unsupported_media_type` otherwise).
//! An empty body (nothing, or only whitespace) is no body: a 400 `empty_body` where the
//! operation requires one ([`JsonBody`]), the documented defaults where it is optional
//! ([`OptionalJsonBody`]). Operations that take no body ignore one.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::de::{DeserializeOwned, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::ApiError;

/// The largest request body accepted.
pub const MAX_BODY: usize = 1 << 20;

/// A JSON body the operation requires: an empty one is a 400 `empty_body`.
pub struct JsonBody<T>(pub T);

/// A JSON body that may be left out: an empty one reads as `T::default()`.
pub struct OptionalJsonBody<T>(pub T);

/// True when `content_type` labels the body `application/json` (parameters such as
/// `charset` allowed, any case).
fn labelled_json(content_type: Option<&HeaderValue>) -> bool {
    let Some(value) = content_type.and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

fn unsupported_media_type(content_type: Option<&HeaderValue>) -> ApiError {
    let sent = content_type.map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    ApiError::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
        match sent {
            Some(t) => {
                format!("the request body is labelled `{t}`; send JSON as `application/json`")
            }
            None => "the request body has no content type; send JSON as `application/json`".into(),
        },
    )
}

/// True when a JSON string in `bytes` holds the escape `\u0000` (a raw NUL is not JSON).
fn holds_nul(bytes: &[u8]) -> bool {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' {
            if bytes.get(i + 1..i + 6) == Some(b"u0000") {
                return true;
            }
            i += 2;
        } else {
            i += 1;
        }
    }
    false
}

/// Parses the whole body as one JSON object of type `T`; anything after it is malformed, and
/// a NUL in a string is refused (no field takes one, and PostgreSQL cannot store one).
fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if holds_nul(bytes) {
        return Err(ApiError::bad_request(
            "invalid_body",
            "a string in the request body holds a NUL character (`\\u0000`)",
        ));
    }
    // serde reads a struct from an array too (`[null, null]`); every body is an object.
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first.is_some_and(|b| *b != b'{' && serde_json::from_slice::<Value>(bytes).is_ok()) {
        return Err(ApiError::bad_request(
            "invalid_body",
            "request body is invalid: send a JSON object",
        ));
    }
    // Read straight through first; only a body that fails is read again with its path tracked,
    // to name the field (tracking costs every value of every good body a wrapper).
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    if let Ok(value) = T::deserialize(&mut *de).and_then(|value| de.end().map(|()| value)) {
        return Ok(value);
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let msg = inner.to_string();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::bad_request(
                "malformed_json",
                format!("request body is not valid JSON: {msg}"),
            )
        } else if path == "." {
            ApiError::bad_request("invalid_body", format!("request body is invalid: {msg}"))
        } else {
            ApiError::bad_request("invalid_body", format!("field `{path}` is invalid: {msg}"))
        }
    })?;
    de.end().map_err(|e| {
        ApiError::bad_request(
            "malformed_json",
            format!("request body is not valid JSON: {e}"),
        )
    })?;
    Ok(value)
}

/// The body, or `None` when it is empty; a body that is not labelled JSON is a 415.
async fn read(req: Request) -> Result<Option<Bytes>, ApiError> {
    // The one header needed after the body is taken (a shared buffer, not a copy).
    let content_type = req.headers().get(CONTENT_TYPE).cloned();
    let bytes = Bytes::from_request(req, &()).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("request body is larger than {MAX_BODY} bytes"),
            )
        } else {
            ApiError::bad_request("unreadable_body", rejection.body_text())
        }
    })?;
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    if !labelled_json(content_type.as_ref()) {
        return Err(unsupported_media_type(content_type.as_ref()));
    }
    Ok(Some(bytes))
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        match read(req).await? {
            Some(bytes) => parse(&bytes).map(JsonBody),
            None => Err(ApiError::bad_request(
                "empty_body",
                "request body is empty; send a JSON object",
            )),
        }
    }
}

impl<S: Send + Sync, T: DeserializeOwned + Default> FromRequest<S> for OptionalJsonBody<T> {
    type Rejection = ApiError;
    async fn from_request(req: Request, _: &S) -> Result<Self, ApiError> {
        match read(req).await? {
            Some(bytes) => parse(&bytes).map(OptionalJsonBody),
            None => Ok(OptionalJsonBody(T::default())),
        }
    }
}

/// A JSON object read as `T`, for an object nested in a body (serde would read a struct from
/// an array too). Read in place, as a map: no intermediate JSON value per object, which a
/// batch of a thousand checks would otherwise build and copy.
#[derive(Debug)]
pub struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Object<T>, D::Error> {
        T::deserialize(MapOnly(d)).map(Object)
    }
}

/// A deserializer that reads only a map, whatever its reader asks for: a struct from an array
/// is then an invalid type, named as such.
struct MapOnly<D>(D);

impl<'de, D: Deserializer<'de>> Deserializer<'de> for MapOnly<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.0.deserialize_map(visitor)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// A query string; unknown parameters and bad values are 400 with the parameter named.
pub struct QueryParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for QueryParams<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        let query = parts.uri.query().unwrap_or_default();
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
        serde_path_to_error::deserialize(de)
            .map(QueryParams)
            .map_err(|e| {
                let path = e.path().to_string();
                let msg = e.into_inner().to_string();
                if path == "." {
                    ApiError::bad_request(
                        "invalid_query",
                        format!("query string is invalid: {msg}"),
                    )
                } else {
                    ApiError::bad_request(
                        "invalid_query",
                        format!("query parameter `{path}` is invalid: {msg}"),
                    )
                }
            })
    }
}

/// The parameters of a path; one that does not decode (bytes that are not UTF-8, like
/// `%FF`) is a 400 `invalid_uri` in the one error shape, not axum's text.
pub struct PathParams<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for PathParams<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(params)) => Ok(PathParams(params)),
            Err(rejection) => {
                tracing::debug!(%rejection, "a path that does not decode");
                Err(ApiError::bad_request(
                    "invalid_uri",
                    "the path does not decode as UTF-8 text",
                ))
            }
        }
    }
}

/// The refusal of a path or query that holds a NUL (`%00`): no id, name or filter has one, and
/// PostgreSQL cannot even compare text holding one, so it would otherwise reach the store as
/// an error of the database rather than of the request. `None` for every other request.
pub fn nul_refusal(req: &Request) -> Option<Response> {
    let raw = req.uri().path_and_query().map_or("", |p| p.as_str());
    raw.as_bytes()
        .windows(3)
        .any(|w| w.eq_ignore_ascii_case(b"%00"))
        .then(|| {
            ApiError::bad_request(
                "invalid_uri",
                "the path or query holds a NUL character (`%00`)",
            )
            .into_response()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Pair {
        a: String,
        b: Option<u8>,
    }

    fn read(json: &str) -> Result<Vec<Object<Pair>>, String> {
        serde_json::from_str::<Vec<Object<Pair>>>(json).map_err(|e| e.to_string())
    }

    #[test]
    fn a_nested_object_is_read_as_its_struct() {
        let got = read(r#"[{"a": "x", "b": 2}, {"a": "y"}]"#).unwrap();
        let got: Vec<Pair> = got.into_iter().map(|Object(p)| p).collect();
        assert_eq!(
            got,
            [
                Pair {
                    a: "x".into(),
                    b: Some(2)
                },
                Pair {
                    a: "y".into(),
                    b: None
                },
            ]
        );
    }

    #[test]
    fn a_nested_array_or_scalar_is_refused_though_serde_reads_a_struct_from_an_array() {
        assert!(serde_json::from_str::<Vec<Pair>>(r#"[["x", 2]]"#).is_ok());
        for json in [r#"[["x", 2]]"#, r#"["x"]"#, "[1]", "[null]"] {
            let e = read(json).unwrap_err();
            assert!(e.contains("invalid type"), "{json}: {e}");
        }
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Batch {
        #[expect(dead_code, reason = "read only to be refused or accepted")]
        pairs: Vec<Object<Pair>>,
    }

    fn message(json: &str) -> String {
        parse::<Batch>(json.as_bytes()).unwrap_err().message
    }

    #[test]
    fn a_good_body_is_read_and_a_bad_one_names_the_field() {
        assert!(parse::<Batch>(br#"{"pairs": [{"a": "x"}]}"#).is_ok());
        assert_eq!(
            message(r#"{"pairs": [{"a": "x"}, {"a": 7}]}"#),
            "field `pairs[1].a` is invalid: invalid type: integer `7`, expected a string at line 1 column 30"
        );
        assert!(message(r#"{"pairs": [{"a": "x", "c": 1}]}"#).starts_with("field `pairs[0]"));
        assert!(message(r#"{"pairs": 1}"#).starts_with("field `pairs` is invalid"));
        assert!(message(r#"{}"#).starts_with("request body is invalid: missing field `pairs`"));
        assert!(message(r#"{"pairs": []} x"#).starts_with("request body is not valid JSON"));
        assert!(message(r#"{"pairs": ["#).starts_with("request body is not valid JSON"));
    }

    #[test]
    fn unknown_and_missing_fields_in_a_nested_object_are_named() {
        let e = read(r#"[{"a": "x", "c": 1}]"#).unwrap_err();
        assert!(e.contains("unknown field `c`"), "{e}");
        let e = read(r#"[{"b": 1}]"#).unwrap_err();
        assert!(e.contains("missing field `a`"), "{e}");
    }
}
