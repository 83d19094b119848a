//! `GET /v1/audit?format=jsonl`: every matching event, one JSON object per line, read from the
//! store a page at a time inside the response body, so memory stays flat however long the log.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use wicket_core::Time;
use wicket_store::{AuditFilter, Store};

use crate::error::{ApiError, ApiResult};
use crate::params;

/// Events read per page while streaming.
const PAGE: i64 = 1000;

/// `text` as a time: RFC 3339, or an age like `30d` or `12h` counted back from `now` (as
/// `openapi::formats::TimeOrAge` describes it).
pub fn time_or_age(key: &str, text: &str, now: Time) -> ApiResult<Time> {
    if let Ok(t) = params::time(text) {
        return Ok(t);
    }
    let age = match params::age_days(text) {
        Some(days) => chrono::Duration::days(days),
        None => match params::duration(text) {
            Ok(d) => d.to_chrono(),
            Err(_) => {
                return Err(ApiError::bad_request(
                    "invalid_query",
                    format!(
                        "`{key}` must be an RFC 3339 time like `2026-01-31T00:00:00Z` or an age like `30d`; got `{text}`"
                    ),
                ));
            }
        },
    };
    Ok(now - age)
}

/// [`time_or_age`] of `text` when it is given.
pub fn optional_time_or_age(key: &str, text: Option<&str>, now: Time) -> ApiResult<Option<Time>> {
    text.map(|t| time_or_age(key, t, now)).transpose()
}

/// The streamed body: pages of `filter` (its `after` moving on), each event a line.
pub fn jsonl(store: Arc<dyn Store>, filter: AuditFilter) -> Response {
    let pages = futures_util::stream::unfold(Some(filter), move |state| {
        let store = store.clone();
        async move {
            let mut f = state?;
            f.limit = Some(PAGE);
            match store.list_events(&f).await {
                Ok(page) if page.is_empty() => None,
                Ok(page) => {
                    let mut buf = Vec::with_capacity(page.len() * 512);
                    for e in &page {
                        if let Err(err) = serde_json::to_writer(&mut buf, e) {
                            return Some((Err(std::io::Error::other(err)), None));
                        }
                        buf.push(b'\n');
                    }
                    let next = (page.len() as i64 == PAGE).then(|| {
                        f.after = page.last().map(|e| e.seq);
                        f
                    });
                    Some((Ok(Bytes::from(buf)), next))
                }
                Err(err) => {
                    // The status is already sent: cutting the body short is how the client
                    // learns the export is incomplete.
                    tracing::error!(error = %err, "audit export failed mid-stream");
                    Some((
                        Err(std::io::Error::other("reading the audit log failed")),
                        None,
                    ))
                }
            }
        }
    });
    (
        [(CONTENT_TYPE, "application/x-ndjson")],
        Body::from_stream(pages),
    )
        .into_response()
}
