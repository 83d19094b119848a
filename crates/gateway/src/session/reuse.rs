//! Whether a session's upstream connection may serve another session, and the reset that
//! makes it fresh: only after the client said `Terminate` with nothing under way (no statement
//! unanswered, no transaction or `COPY` open, no cut, no shutdown), and only when `DISCARD
//! ALL` answers cleanly. `DISCARD ALL` closes cursors, drops temporary tables, deallocates
//! prepared statements, unlistens, releases advisory locks and resets every setting, the
//! session authorization and the role to what the startup message set.

use std::time::{Duration, Instant};

use bytes::BytesMut;
use tokio::io::AsyncWriteExt;

use super::frames::FrameReader;
use super::upstream::{self, Upstream};
use super::{Session, State};
use crate::error::SessionError;
use crate::pool::Pool;
use crate::protocol::MAX_MESSAGE;
use crate::protocol::backend::{command_tag, parameter_status, ready_status};
use crate::protocol::error_response::ErrorFields;
use crate::protocol::query::Query;
use crate::target::Target;

/// How long the reset may take before the connection is closed instead.
const RESET_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a new connection is tried again after idle ones were closed to make room.
const ROOM_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens a new upstream connection. Kept connections must never cost a session its place:
/// when the server has no slot left (`53300`) and this listener keeps idle connections, they
/// are closed and the connection is tried again while their server processes exit.
pub(super) async fn connect(
    pool: &Pool,
    target: &Target,
    params: &[(&str, &str)],
) -> Result<Upstream, SessionError> {
    let first = upstream::connect(target, params).await;
    if !matches!(first, Err(SessionError::UpstreamFull(_))) || pool.clear() == 0 {
        return first;
    }
    tracing::info!(target = %target.config.name, "the server had no connection slot left: idle upstream connections closed to make room");
    let deadline = Instant::now() + ROOM_TIMEOUT;
    let mut pause = Duration::from_millis(10);
    loop {
        tokio::time::sleep(pause).await;
        match upstream::connect(target, params).await {
            Err(SessionError::UpstreamFull(_)) if Instant::now() < deadline => {
                pause = (pause * 2).min(Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

/// True when the session left its upstream connection with nothing under way.
pub(super) fn reusable(s: &Session, st: &State) -> bool {
    s.target.config.reuse_upstream
        && !*s.stop.borrow()
        && st.inflight.is_idle()
        && st.transaction == b'I'
        && st.copy_sending.is_none()
        && st.copy_out.is_none()
}

/// Runs `DISCARD ALL` on `up`; an error, a transaction left open or a timeout is an error,
/// and the connection must then be closed.
pub(super) async fn reset(up: &mut Upstream) -> Result<(), SessionError> {
    if !up.leftover.is_empty() {
        return Err(SessionError::Upstream(
            "the server sent more than the session read".into(),
        ));
    }
    tokio::time::timeout(RESET_TIMEOUT, discard(up))
        .await
        .map_err(|_| SessionError::Upstream("`DISCARD ALL` timed out".into()))?
}

async fn discard(up: &mut Upstream) -> Result<(), SessionError> {
    let mut out = BytesMut::new();
    Query {
        sql: "DISCARD ALL".into(),
    }
    .encode(&mut out);
    up.stream.write_all(&out).await?;
    let mut reader = FrameReader::new(&mut up.stream, MAX_MESSAGE);
    let mut discarded = false;
    let mut failed = None;
    let status = loop {
        let frame = reader.next().await?.ok_or_else(|| {
            SessionError::Upstream("the server closed the connection during `DISCARD ALL`".into())
        })?;
        match frame.tag {
            b'C' => discarded = command_tag(&frame.body) == "DISCARD ALL",
            b'E' => failed = Some(ErrorFields::decode(&frame.body)?),
            // Settings going back to the startup message's values, or changed by the server's
            // configuration while the session ran: the next session is told of them.
            b'S' => {
                let (name, value) = parameter_status(&frame.body)?;
                upstream::set_parameter(&mut up.parameters, &name, &value);
            }
            b'Z' => break ready_status(&frame.body)?,
            // Notifications and notices that were under way are dropped with the session.
            _ => {}
        }
    };
    let (_, rest) = reader.into_parts();
    if let Some(e) = failed {
        return Err(SessionError::Upstream(format!(
            "`DISCARD ALL` failed: {} ({})",
            e.message(),
            e.code()
        )));
    }
    if !discarded || status != b'I' || !rest.is_empty() {
        return Err(SessionError::Upstream(
            "`DISCARD ALL` did not leave the connection idle".into(),
        ));
    }
    Ok(())
}
