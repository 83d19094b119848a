//! Server to client: answers pass through as bytes, except that the gateway reads the ones
//! that end a statement (to audit it, and to keep the session's prepared statements and
//! cursors), replaces the stand-in errors of denials, and, every quarter second, checks that
//! the session's `db:connect` still holds.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use wicket_core::NewEvent;
use wicket_engine::app::now;

use super::inflight::{Done, Outcome};
use super::names::Prepared;
use super::{Session, State, events, mask, syntax, watch};
use crate::error::SessionError;
use crate::mask::catalog::MaskedColumn;
use crate::mask::copy::CopyStream;
use crate::mask::{errors, rows};
use crate::protocol::backend::{command_rows, parameter_status};
use crate::protocol::error_response::{ErrorFields, code};
use crate::protocol::rows::RowDescription;
use crate::protocol::{MAX_MESSAGE, frame_len};
use crate::sql::{Action, Effect, Strings};

/// How often a session checks that it may go on.
pub const WATCH_EVERY: Duration = Duration::from_millis(250);

/// How the server side ended.
#[derive(Debug)]
pub enum ServerEnd {
    /// The database closed the connection.
    Closed,
    /// The gateway cut the session, for this reason (already sent to the client).
    Cut(String),
    /// Asked to stop after the client's `Terminate`, with everything read relayed.
    Released,
}

/// What the relay asks of the server direction.
pub enum Stop {
    /// End the session with this error to the client.
    Fatal(ErrorFields),
    /// The client is gone: stop at the next message boundary.
    Release,
}

/// Relays the server to the client until the server closes or the session is cut.
pub async fn run<R, W>(
    s: &Session,
    state: &Mutex<State>,
    mut upstream: R,
    buf: &mut BytesMut,
    mut client: W,
    mut stop: tokio::sync::mpsc::Receiver<Stop>,
) -> Result<ServerEnd, SessionError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut out = BytesMut::with_capacity(16 * 1024);
    let mut tick = tokio::time::interval(WATCH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut watcher = watch::Watcher::new(s);
    loop {
        let mut events = Vec::new();
        relay(s, state, buf, &mut out, &mut events)?;
        if !out.is_empty() {
            client.write_all(&out).await?;
            out.clear();
        }
        for e in events {
            s.audit(e).await;
        }
        tokio::select! {
            read = upstream.read_buf(buf) => {
                if read? == 0 {
                    return Ok(ServerEnd::Closed);
                }
            }
            _ = tick.tick() => {
                if let Some(reason) = watcher.check(s).await {
                    cut(&mut client, &reason).await;
                    return Ok(ServerEnd::Cut(reason));
                }
            }
            Some(stop) = stop.recv() => match stop {
                Stop::Fatal(error) => {
                    let mut bytes = BytesMut::new();
                    error.encode(&mut bytes);
                    let _ = client.write_all(&bytes).await;
                    let _ = client.flush().await;
                    return Ok(ServerEnd::Cut(error.message().to_string()));
                }
                Stop::Release => return Ok(ServerEnd::Released),
            },
        }
    }
}

/// Sends the FATAL error that ends a cut session.
async fn cut<W: AsyncWrite + Unpin>(client: &mut W, reason: &str) {
    let mut bytes = BytesMut::new();
    ErrorFields::fatal(
        code::ADMIN_SHUTDOWN,
        format!("wicket closed the session: {reason}"),
    )
    .encode(&mut bytes);
    let _ = client.write_all(&bytes).await;
    let _ = client.flush().await;
}

/// Moves every complete message from `buf` to `out`, reading those that end statements.
fn relay(
    s: &Session,
    state: &Mutex<State>,
    buf: &mut BytesMut,
    out: &mut BytesMut,
    events: &mut Vec<NewEvent>,
) -> Result<(), SessionError> {
    let mut at = 0;
    let stamp = now();
    let masking = s.target.masking.as_ref();
    let mut st = state.lock().unwrap_or_else(|e| e.into_inner());
    while let Some(len) = frame_len(&buf[at..], MAX_MESSAGE)? {
        if buf.len() < at + len {
            break;
        }
        let (tag, body) = (buf[at], &buf[at + 5..at + len]);
        let mut replaced = false;
        let mut done: Vec<Done> = Vec::new();
        match tag {
            b'T' if masking.is_some() => replaced = described(s, &mut st, body, out)?,
            b'n' if masking.is_some() => {
                st.plan = None;
                replaced = matches!(st.inflight.described(), Some((true, _)));
            }
            b'H' if masking.is_some() => {
                st.copy_out = st
                    .inflight
                    .running_mask()
                    .and_then(|m| m.copy.clone())
                    .map(|plan| {
                        let stream = CopyStream::new(&plan, body);
                        (plan, stream)
                    });
            }
            b'd' => {
                if let (Some((plan, stream)), Some(m)) = (&mut st.copy_out, masking) {
                    stream.data(m, plan, body, out);
                    replaced = true;
                }
            }
            b'c' => {
                if let (Some((plan, stream)), Some(m)) = (&mut st.copy_out, masking) {
                    stream.done(m, plan, out);
                }
            }
            b'D' => {
                if let (Some(plan), Some(m)) = (&st.plan, masking) {
                    plan.row(m, body, out)?;
                    replaced = true;
                }
            }
            b'C' => done.extend(st.inflight.complete(command_rows(body))),
            // `EmptyQueryResponse`, and `FunctionCallResponse` (a fastpath call's result).
            b'I' | b'V' => done.extend(st.inflight.complete(None)),
            b's' => done.extend(st.inflight.suspended()),
            b'1' => st.inflight.parse_complete(),
            b'E' => {
                let e = ErrorFields::decode(body)?;
                let hide = masking.is_some() && reads_masked(&st);
                let (d, mut replacement) = st.inflight.error(&e);
                if hide && replacement.is_none() {
                    replacement = errors::scrubbed(&e, false);
                }
                done.extend(d);
                if let Some(r) = replacement {
                    r.encode(out);
                    replaced = true;
                }
            }
            // A warning of the grammar for SQL that does not parse counts its position in
            // the stand-in's text.
            b'N' if masking.is_some() && !st.inflight.at_syntax() && reads_masked(&st) => {
                let n = ErrorFields::decode(body)?;
                if let Some(n) = errors::scrubbed(&n, true) {
                    n.encode_notice(out);
                    replaced = true;
                }
            }
            b'N' if st.inflight.at_syntax() => {
                let n = ErrorFields::decode(body)?;
                if let Some(n) = syntax::unshifted(&n) {
                    n.encode_notice(out);
                    replaced = true;
                }
            }
            b'Z' => {
                st.transaction = body.first().copied().unwrap_or(b'E');
                done.extend(st.inflight.ready());
            }
            b'G' => {
                if let Some(id) = st.inflight.copy_started() {
                    st.copy_started = Some(id);
                }
            }
            b'S' => {
                if let Some(strings) = strings_of(body) {
                    st.strings = strings;
                }
                if let Some(unsafe_) = embeds_ascii(body) {
                    st.ascii_unsafe = unsafe_;
                }
            }
            _ => {}
        }
        // In the order the server answered: a cursor declared in a transaction is gone
        // with the `ReadyForQuery` that says the transaction ended, not before.
        if matches!(tag, b'C' | b'I' | b's' | b'E' | b'Z')
            && let Some(plan) = st.plan.take()
            && let Some(d) = done.first_mut()
        {
            d.masked = plan.masked;
        }
        if matches!(tag, b'C' | b'E' | b'Z')
            && let Some((plan, _)) = st.copy_out.take()
            && let Some(d) = done.first_mut()
        {
            d.masked = plan.masked.clone();
        }
        for d in done {
            if let Outcome::Ok { .. } = d.outcome {
                apply(&mut st, &d);
                if d.run.kind == Action::Ddl
                    && let Some(m) = masking
                {
                    m.mark_stale();
                }
            }
            st.statements += 1;
            events.push(events::statement(s, d, stamp));
        }
        if tag == b'Z' && body.first() == Some(&b'I') {
            st.names.transaction_ended();
        }
        for upstream in st.inflight.take_unprepared() {
            st.names.parse_failed(&upstream);
        }
        if !replaced {
            out.extend_from_slice(&buf[at..at + len]);
        }
        at += len;
    }
    let _ = buf.split_to(at);
    Ok(())
}

/// True when the statement under way reads a masked column the user may not unmask.
fn reads_masked(st: &State) -> bool {
    st.inflight.running_mask().is_some_and(|m| m.computed)
}

/// A `RowDescription` on a target with masking rules: the plan for the rows that follow,
/// and the description the client gets (none, for the gateway's own `Describe`). True when
/// `body` is not relayed as it is.
fn described(
    s: &Session,
    st: &mut State,
    body: &[u8],
    out: &mut BytesMut,
) -> Result<bool, SessionError> {
    let Some(masking) = s.target.masking.as_ref() else {
        return Ok(false);
    };
    let (hidden, stmt) = match st.inflight.described() {
        Some(d) => d,
        None => (false, st.inflight.running_mask()),
    };
    let desc = RowDescription::decode(body)?;
    let unmasked = |c: &MaskedColumn| mask::unmasked(s, c);
    st.plan = rows::plan(masking, stmt.as_deref(), &desc, &unmasked);
    if hidden {
        return Ok(true);
    }
    match &st.plan {
        Some(plan) => {
            plan.describe(&desc).encode(out);
            Ok(true)
        }
        None => Ok(false),
    }
}

/// How the server reads `'...'`, if `body` (a `ParameterStatus`) reports it.
fn strings_of(body: &[u8]) -> Option<Strings> {
    let (name, value) = parameter_status(body).ok()?;
    (name == "standard_conforming_strings").then(|| {
        if value == "off" {
            Strings::Escaping
        } else {
            Strings::Conforming
        }
    })
}

/// Whether the `client_encoding` that `body` (a `ParameterStatus`) reports, if it reports
/// one, may hold ASCII bytes (`\\`, a delimiter) inside a multi-byte character, which a
/// `COPY` row cannot be split by byte in.
fn embeds_ascii(body: &[u8]) -> Option<bool> {
    let (name, value) = parameter_status(body).ok()?;
    (name == "client_encoding").then(|| {
        let v = value.to_ascii_uppercase().replace(['_', '-'], "");
        matches!(
            v.as_str(),
            "SJIS"
                | "SHIFTJIS"
                | "MSKANJI"
                | "SHIFTJIS2004"
                | "BIG5"
                | "GBK"
                | "UHC"
                | "GB18030"
                | "JOHAB"
                | "WIN932"
                | "WIN936"
                | "WIN949"
                | "WIN950"
        )
    })
}

/// Whether the `client_encoding` the server reported after authentication may hold ASCII
/// bytes inside a multi-byte character.
pub fn reported_ascii_unsafe(bytes: &[u8]) -> bool {
    parameter_statuses(bytes).fold(false, |found, body| embeds_ascii(body).unwrap_or(found))
}

/// The last `standard_conforming_strings` among the `ParameterStatus` messages of `bytes`
/// (what the server sent after authentication).
pub fn reported_strings(bytes: &[u8]) -> Option<Strings> {
    parameter_statuses(bytes).fold(None, |found, body| strings_of(body).or(found))
}

/// The bodies of the `ParameterStatus` messages among the whole messages at the start of
/// `bytes`, in order.
fn parameter_statuses(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = 0;
    std::iter::from_fn(move || {
        while let Ok(Some(len)) = frame_len(&bytes[at..], MAX_MESSAGE) {
            if bytes.len() < at + len {
                return None;
            }
            let message = &bytes[at..at + len];
            at += len;
            if message[0] == b'S' {
                return Some(&message[5..]);
            }
        }
        None
    })
}

/// What a successful statement changes in the session: prepared statements and cursors
/// by SQL.
fn apply(st: &mut State, d: &Done) {
    match &d.run.effect {
        Effect::None => {}
        Effect::Prepare(name) => st.names.prepared(name, prepared(d)),
        Effect::Deallocate(name) => st.names.deallocated(name.as_deref()),
        Effect::Declare { name, hold } => st.names.declared(name, prepared(d), *hold),
        Effect::Close(name) => st.names.closed(name.as_deref()),
        Effect::DiscardAll => {
            st.names.deallocated(None);
            st.names.closed(None);
        }
    }
}

/// What running the statement `d` prepared (or the cursor it declared) needs later.
fn prepared(d: &Done) -> Arc<Prepared> {
    Arc::new(Prepared {
        copy_in: false,
        copy_out: None,
        text: d.run.text.clone(),
        text_bytes: d.run.text_bytes,
        kind: d.run.kind,
        accesses: d.run.accesses.clone(),
        shape: d.run.shape.clone(),
        effect: Effect::None,
        opaque: d.run.opaque,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::put_frame;

    #[test]
    fn encodings_whose_characters_hold_ascii_bytes_are_known() {
        let status = |name: &str, value: &str| {
            let mut out = BytesMut::new();
            put_frame(&mut out, b'S', |b| {
                crate::protocol::put_cstr(b, name);
                crate::protocol::put_cstr(b, value);
            });
            out
        };
        assert!(reported_ascii_unsafe(&status("client_encoding", "SJIS")));
        assert!(reported_ascii_unsafe(&status(
            "client_encoding",
            "shift_jis_2004"
        )));
        assert!(!reported_ascii_unsafe(&status("client_encoding", "UTF8")));
        assert!(!reported_ascii_unsafe(&status("client_encoding", "LATIN1")));
        assert!(!reported_ascii_unsafe(&status("TimeZone", "SJIS")));
    }
}
