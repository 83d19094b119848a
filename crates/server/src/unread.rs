//! A response sent before its request's body was read to the end closes the connection, and
//! says so.
//!
//! When a handler answers without reading the whole body (a 413 for a body over the limit, a
//! 401 before the JSON is parsed), hyper stops reading and closes the connection once the
//! response is written, because the rest of the body would be read as the next request. It
//! does not say `Connection: close`, so a client that keeps connections alive may send its
//! next request on a socket the server is closing and see it fail. [`watch`], which the server's
//! one middleware layer answers through (`crate::routes::edge`), watches the body and adds the
//! header whenever the body was left unread, so the client opens a new connection.

use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::header::CONNECTION;
use axum::http::{HeaderValue, Version};
use axum::response::Response;
use http_body::{Frame, SizeHint};

/// Answers `req` with `answer`, adding `Connection: close` when the body was not read to its
/// end. The server's one middleware layer (`crate::routes::edge`) answers through this.
pub async fn watch<F, Fut>(req: Request, answer: F) -> Response
where
    F: FnOnce(Request) -> Fut,
    Fut: Future<Output = Response>,
{
    let (parts, body) = req.into_parts();
    // HTTP/2 ends a stream, never the connection, and forbids the header.
    if body.is_end_stream() || parts.version >= Version::HTTP_2 {
        return answer(Request::from_parts(parts, body)).await;
    }
    let read = Arc::new(AtomicBool::new(false));
    let body = Body::new(Watched {
        inner: body,
        read: read.clone(),
    });
    let mut response = answer(Request::from_parts(parts, body)).await;
    if !read.load(Ordering::Acquire) {
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
    }
    response
}

/// A body that records when it has been read to the end.
struct Watched {
    inner: Body,
    read: Arc<AtomicBool>,
}

impl HttpBody for Watched {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        let polled = Pin::new(&mut self.inner).poll_frame(cx);
        let ended = match &polled {
            Poll::Ready(None) => true,
            Poll::Ready(Some(Ok(_))) => self.inner.is_end_stream(),
            _ => false,
        };
        if ended {
            self.read.store(true, Ordering::Release);
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::Router;
    use axum::extract::DefaultBodyLimit;
    use axum::http::StatusCode;
    use axum::middleware::Next;
    use axum::routing::post;
    use tower::ServiceExt;

    fn app() -> Router {
        Router::new()
            .route(
                "/read",
                post(|body: Bytes| async move { body.len().to_string() }),
            )
            .route("/ignore", post(|| async { StatusCode::UNAUTHORIZED }))
            .layer(DefaultBodyLimit::max(8))
            .layer(axum::middleware::from_fn(|req: Request, next: Next| {
                watch(req, |req| next.run(req))
            }))
    }

    /// Sends `body` in chunks of four bytes, as a socket delivers it.
    async fn send(path: &str, body: &'static str) -> Response {
        let chunks: Vec<Result<&'static [u8], std::io::Error>> =
            body.as_bytes().chunks(4).map(Ok).collect();
        let req = Request::post(path)
            .header("content-length", body.len())
            .body(Body::from_stream(futures_util::stream::iter(chunks)))
            .unwrap();
        app().oneshot(req).await.unwrap()
    }

    #[tokio::test]
    async fn a_body_read_to_the_end_keeps_the_connection() {
        let resp = send("/read", "1234").await;
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(resp.headers().get(CONNECTION).is_none());
    }

    #[tokio::test]
    async fn a_body_over_the_limit_or_ignored_closes_the_connection() {
        let resp = send("/read", "123456789012").await;
        assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(resp.headers()[CONNECTION], "close");
        let resp = send("/ignore", "1234").await;
        assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(resp.headers()[CONNECTION], "close");
    }

    #[tokio::test]
    async fn a_request_without_a_body_keeps_the_connection() {
        let req = Request::post("/ignore").body(Body::empty()).unwrap();
        let resp = app().oneshot(req).await.unwrap();
        assert!(resp.headers().get(CONNECTION).is_none());
    }
}
