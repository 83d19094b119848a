//! The two directions of a running session, until one of them ends it; after a clean end,
//! the upstream connection is handed back for reuse.

use std::sync::Mutex;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::client::{self, ClientEnd};
use super::frames::FrameReader;
use super::server::{self, ServerEnd, Stop};
use super::{Session, State, reuse, upstream};
use crate::protocol::MAX_MESSAGE;
use crate::protocol::error_response::{ErrorFields, code};

/// How the session ended, and its upstream connection when it may serve another session
/// (not yet reset).
pub(super) struct Ended {
    pub reason: String,
    pub upstream: Option<upstream::Upstream>,
}

/// Runs both directions until one ends.
pub(super) async fn relay<CR, CW>(
    s: &Session,
    state: &Mutex<State>,
    client_r: CR,
    client_w: CW,
    up: upstream::Upstream,
) -> Ended
where
    CR: AsyncRead + Unpin,
    CW: AsyncWrite + Unpin,
{
    let upstream::Upstream {
        stream,
        mut leftover,
        parameters,
        key,
    } = up;
    let (mut up_r, mut up_w) = stream.into_split();
    let (reason, terminated, released) = {
        let (stop_tx, stop_rx) = tokio::sync::mpsc::channel(1);
        let client = client::run(s, state, FrameReader::new(client_r, MAX_MESSAGE), &mut up_w);
        let server = server::run(s, state, &mut up_r, &mut leftover, client_w, stop_rx);
        tokio::pin!(client);
        tokio::pin!(server);
        tokio::select! {
            end = &mut client => match end {
                Ok(ClientEnd::Terminated) => {
                    // The server direction relays what it read, then lets go.
                    let _ = stop_tx.send(Stop::Release).await;
                    let released = matches!(
                        tokio::time::timeout(Duration::from_secs(1), &mut server).await,
                        Ok(Ok(ServerEnd::Released))
                    );
                    ("the client ended the session".to_string(), true, released)
                }
                Ok(ClientEnd::Gone) => ("the client disconnected".to_string(), false, false),
                Err(e) => {
                    // The server direction owns the client's socket: it sends the error.
                    let error = ErrorFields::fatal(code::PROTOCOL_VIOLATION, format!("wicket closed the session: {e}"));
                    let _ = stop_tx.send(Stop::Fatal(error)).await;
                    let _ = tokio::time::timeout(Duration::from_secs(1), &mut server).await;
                    (format!("client protocol error: {e}"), false, false)
                }
            },
            end = &mut server => match end {
                Ok(ServerEnd::Closed) => ("the database closed the connection".to_string(), false, false),
                Ok(ServerEnd::Cut(reason)) => (reason, false, false),
                Ok(ServerEnd::Released) => ("the session was released".to_string(), false, false),
                Err(e) => (format!("relaying from the database failed: {e}"), false, false),
            },
        }
    };
    if released && reuse::reusable(s, &client::lock(state)) {
        // Two halves of one stream always reunite.
        let upstream = up_r.reunite(up_w).ok().map(|stream| upstream::Upstream {
            stream,
            leftover,
            parameters,
            key,
        });
        return Ended { reason, upstream };
    }
    if terminated {
        // As the client asked: the server ends the backend now.
        let mut bye = BytesMut::new();
        crate::protocol::put_frame(&mut bye, b'X', |_| {});
        let _ = up_w.write_all(&bye).await;
    }
    Ended {
        reason,
        upstream: None,
    }
}
