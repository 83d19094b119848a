//! The two directions of a running session, until one of them ends it.

use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite};

use super::client::{self, ClientEnd};
use super::frames::FrameReader;
use super::server::{self, ServerEnd};
use super::{Session, State, upstream};
use crate::protocol::MAX_MESSAGE;
use crate::protocol::error_response::{ErrorFields, code};

/// Runs both directions until one ends; the reason the session ended.
pub(super) async fn relay<CR, CW>(
    s: &Session,
    state: &Mutex<State>,
    client_r: CR,
    client_w: CW,
    up: upstream::Upstream,
) -> String
where
    CR: AsyncRead + Unpin,
    CW: AsyncWrite + Unpin,
{
    let (up_r, up_w) = up.stream.into_split();
    let (fatal_tx, fatal_rx) = tokio::sync::mpsc::channel(1);
    let client = client::run(s, state, FrameReader::new(client_r, MAX_MESSAGE), up_w);
    let server = server::run(s, state, up_r, up.leftover, client_w, fatal_rx);
    tokio::pin!(client);
    tokio::pin!(server);
    tokio::select! {
        end = &mut client => match end {
            Ok(ClientEnd::Terminated) => "the client ended the session".to_string(),
            Ok(ClientEnd::Gone) => "the client disconnected".to_string(),
            Err(e) => {
                // The server direction owns the client's socket: it sends the error.
                let error = ErrorFields::fatal(code::PROTOCOL_VIOLATION, format!("wicket closed the session: {e}"));
                let _ = fatal_tx.send(error).await;
                let _ = tokio::time::timeout(Duration::from_secs(1), &mut server).await;
                format!("client protocol error: {e}")
            }
        },
        end = &mut server => match end {
            Ok(ServerEnd::Closed) => "the database closed the connection".to_string(),
            Ok(ServerEnd::Cut(reason)) => reason,
            Err(e) => format!("relaying from the database failed: {e}"),
        },
    }
}
