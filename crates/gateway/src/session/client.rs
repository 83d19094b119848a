//! Client to server: every message is read, statements are classified and authorized before
//! anything goes upstream, names are mapped, and a denied message is replaced by a stand-in
//! that makes the server fail in its place, so that the error arrives in order and the
//! server's transaction state stays what PostgreSQL's own permission error would make it.

use std::sync::{Arc, Mutex};

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};

use super::check::{authorize, classify};
use super::frames::FrameReader;
use super::names::Prepared;
use super::{Session, State, fastpath, mask, rename, syntax};

use crate::error::SessionError;
use crate::protocol::bind::Bind;
use crate::protocol::close::Close;
use crate::protocol::describe::{Describe, Target};
use crate::protocol::error_response::{ErrorFields, code};
use crate::protocol::execute::Execute;
use crate::protocol::parse::Parse;
use crate::protocol::query::Query;
use crate::protocol::{Frame, ProtocolError};
use crate::sql::{self, Statement};

/// How the client side ended.
#[derive(Debug)]
pub enum ClientEnd {
    /// `Terminate`.
    Terminated,
    /// The connection closed.
    Gone,
}

/// Reads the client until it ends, writing what passes to `upstream`.
pub async fn run<R, W>(
    s: &Session,
    state: &Mutex<State>,
    mut reader: FrameReader<R>,
    mut upstream: W,
) -> Result<ClientEnd, SessionError>
where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut out = BytesMut::with_capacity(8 * 1024);
    loop {
        let Some(frame) = reader.next().await? else {
            return Ok(ClientEnd::Gone);
        };
        let mut end = handle(s, state, frame, &mut out).await?;
        // Everything the client pipelined goes up in one write.
        while end.is_none() {
            match reader.buffered()? {
                Some(frame) => end = handle(s, state, frame, &mut out).await?,
                None => break,
            }
        }
        if !out.is_empty() {
            upstream.write_all(&out).await?;
            out.clear();
        }
        if let Some(end) = end {
            return Ok(end);
        }
    }
}

pub(super) fn lock(state: &Mutex<State>) -> std::sync::MutexGuard<'_, State> {
    state.lock().unwrap_or_else(|e| e.into_inner())
}

async fn handle(
    s: &Session,
    state: &Mutex<State>,
    frame: Frame,
    out: &mut BytesMut,
) -> Result<Option<ClientEnd>, SessionError> {
    match frame.tag {
        b'Q' => query(s, state, &frame, out).await?,
        b'P' => parse(s, state, &frame, out).await?,
        b'B' => {
            let bind = Bind::decode(&frame.body)?;
            let found = lock(state).names.statement(&bind.statement);
            match found {
                Some((statement, prepared)) => {
                    let portal = lock(state).names.bind(&bind.portal, prepared);
                    bind.encode_as(out, &portal, &statement);
                }
                None => {
                    let e = ErrorFields::error(
                        code::INVALID_SQL_STATEMENT_NAME,
                        format!("prepared statement `{}` does not exist", bind.statement),
                    );
                    stand_in(state, out, e, false);
                }
            }
        }
        b'E' => execute(s, state, &frame, out).await?,
        b'D' => {
            let d = Describe::decode(&frame.body)?;
            let found = match d.target {
                Target::Statement => lock(state).names.statement(&d.name).map(|(n, _)| n),
                Target::Portal => lock(state).names.describe_portal(&d.name),
            };
            match found {
                Some(name) => {
                    if s.target.masking.is_some() {
                        let prepared = match d.target {
                            Target::Statement => lock(state).names.statement(&d.name),
                            Target::Portal => lock(state).names.portal(&d.name),
                        };
                        // Without what it reads, its description is masked whole (fail closed).
                        let m = match prepared {
                            Some((_, p)) => mask::statement(s, &p.accesses, p.opaque)
                                .await
                                .ok()
                                .flatten(),
                            None => None,
                        };
                        lock(state).inflight.describe(false, m);
                    }
                    d.encode_as(out, &name)
                }
                None => stand_in(state, out, missing(d.target, &d.name), false),
            }
        }
        b'C' => {
            let c = Close::decode(&frame.body)?;
            let name = match c.target {
                Target::Statement => lock(state).names.close_statement(&c.name),
                Target::Portal => lock(state).names.close_portal(&c.name),
            };
            c.encode_as(out, &name);
        }
        b'S' => {
            let mut st = lock(state);
            match st.copy_sending {
                // PostgreSQL ignores a `Sync` in copy-in mode.
                Some(id) if st.copy_started == Some(id) => {}
                copy => st.inflight.sync(copy),
            }
            frame.encode(out);
        }
        b'c' | b'f' => {
            lock(state).copy_sending = None;
            frame.encode(out);
        }
        // Not passed on: the relay ends the upstream connection or keeps it for reuse.
        b'X' => return Ok(Some(ClientEnd::Terminated)),
        // Flush, and COPY data from the client, pass as they are.
        b'H' | b'd' => frame.encode(out),
        b'F' => fastpath::call(s, state, &frame, out).await?,
        tag => {
            return Err(ProtocolError::Unexpected {
                tag,
                during: "in a session",
            }
            .into());
        }
    }
    Ok(None)
}

fn missing(target: Target, name: &str) -> ErrorFields {
    match target {
        Target::Statement => ErrorFields::error(
            code::INVALID_SQL_STATEMENT_NAME,
            format!("prepared statement `{name}` does not exist"),
        ),
        Target::Portal => ErrorFields::error(
            code::INVALID_CURSOR_NAME,
            format!("portal `{name}` does not exist"),
        ),
    }
}

/// Sends the server a message it must fail (an `EXECUTE` or a `Bind` of a statement that
/// does not exist), and queues `error` to replace its failure on the way back.
pub(super) fn stand_in(state: &Mutex<State>, out: &mut BytesMut, error: ErrorFields, simple: bool) {
    let mut st = lock(state);
    let nonce = st.inflight.nonce();
    if simple {
        Query {
            sql: format!("EXECUTE {nonce}"),
        }
        .encode(out);
    } else {
        Bind::encode_missing(out, &nonce);
    }
    st.inflight.denied(nonce, error, simple);
}

/// `Query`: every statement is authorized before any is sent; one denial stops them all.
async fn query(
    s: &Session,
    state: &Mutex<State>,
    frame: &Frame,
    out: &mut BytesMut,
) -> Result<(), SessionError> {
    let q = Query::decode(&frame.body)?;
    let mut rewritten = None;
    let result = match classify(s, state, &q.sql).await {
        Ok(mut stmts) => {
            rewritten = rename::rewrite(&lock(state).names, &q.sql, &mut stmts);
            authorize(s, state, &stmts)
                .await
                .map(|runs| (runs, stmts.iter().any(|st| st.copy_in)))
        }
        Err(u) if u.syntax => {
            syntax::stand_in(state, out, u.error, &q.sql, true);
            return Ok(());
        }
        Err(u) => Err(u.error),
    };
    match result {
        Ok((runs, copy_in)) => {
            let mut st = lock(state);
            let copy = copy_in.then(|| st.copy_begins());
            st.inflight.simple(runs, copy);
            match rewritten {
                Some(sql) => Query { sql }.encode(out),
                None => frame.encode(out),
            }
        }
        Err(e) => stand_in(state, out, e, true),
    }
    Ok(())
}

/// `Parse`: checked now, so a denial comes early; checked again at every `Execute`.
async fn parse(
    s: &Session,
    state: &Mutex<State>,
    frame: &Frame,
    out: &mut BytesMut,
) -> Result<(), SessionError> {
    let mut p = Parse::decode(&frame.body)?;
    let result = match classify(s, state, &p.sql).await {
        Ok(mut stmts) => {
            if let Some(sql) = rename::rewrite(&lock(state).names, &p.sql, &mut stmts) {
                p.sql = sql;
            }
            let copy_out = match stmts.as_slice() {
                [st] => st.copy_out.clone(),
                _ => None,
            };
            authorize(s, state, &stmts)
                .await
                .map(|runs| (runs, stmts.iter().any(|st| st.copy_in), copy_out))
        }
        Err(u) if u.syntax => {
            syntax::stand_in(state, out, u.error, &p.sql, false);
            return Ok(());
        }
        Err(u) => Err(u.error),
    };
    match result {
        Ok(_) if lock(state).names.exists(&p.name) => {
            // As PostgreSQL: a named statement must be closed before its name is reused.
            let e = ErrorFields::error(
                code::DUPLICATE_PREPARED_STATEMENT,
                format!("prepared statement \"{}\" already exists", p.name),
            );
            stand_in(state, out, e, false);
        }
        Ok((runs, copy_in, copy_out)) => {
            let prepared = Arc::new(Prepared {
                copy_out,
                effect: match runs.as_slice() {
                    [run] => run.effect.clone(),
                    _ => sql::Effect::None,
                },
                copy_in,
                // The extended protocol carries one statement per `Parse`.
                shape: runs.first().map(|r| r.shape.clone()).unwrap_or_default(),
                text: runs
                    .iter()
                    .map(|r| r.text.as_str())
                    .collect::<Vec<_>>()
                    .join("; "),
                text_bytes: p.sql.len(),
                kind: runs
                    .iter()
                    .map(|r| r.kind)
                    .max()
                    .unwrap_or(sql::Action::Connect),
                opaque: runs.iter().any(|r| r.opaque),
                accesses: runs.into_iter().flat_map(|r| r.accesses).collect(),
            });
            let mut st = lock(state);
            let name = st.names.parse(&p.name, prepared);
            if !name.is_empty() {
                st.inflight.parse(name.clone());
            }
            p.encode_as(out, &name);
        }
        Err(e) => stand_in(state, out, e, false),
    }
    Ok(())
}

/// `Execute`: the portal's statement is authorized again, now.
async fn execute(
    s: &Session,
    state: &Mutex<State>,
    frame: &Frame,
    out: &mut BytesMut,
) -> Result<(), SessionError> {
    let e = Execute::decode(&frame.body)?;
    let Some((portal, prepared)) = lock(state).names.portal(&e.portal) else {
        stand_in(state, out, missing(Target::Portal, &e.portal), false);
        return Ok(());
    };
    let stmt = Statement {
        text: prepared.text.clone(),
        kind: prepared.kind,
        accesses: prepared.accesses.clone(),
        span: 0..prepared.text.len(),
        executes: None,
        fetch: None,
        read_write: false,
        copy_in: prepared.copy_in,
        copy_out: prepared.copy_out.clone(),
        effect: prepared.effect.clone(),
        shape: prepared.shape.clone(),
        search_path: None,
        reads_literals: false,
        user_code: prepared.opaque,
    };
    match authorize(s, state, std::slice::from_ref(&stmt)).await {
        Ok(mut runs) => {
            if let Some(mut run) = runs.pop() {
                run.protocol = "extended";
                run.text_bytes = prepared.text_bytes;
                let mut st = lock(state);
                let copy = prepared.copy_in.then(|| st.copy_begins());
                // Rows that may be masked need their description, which the client may
                // not have asked for: the gateway asks, and keeps the answer.
                if let Some(m) = run.mask.as_ref().filter(|m| m.active()) {
                    st.inflight.describe(true, Some(m.clone()));
                    Describe {
                        target: Target::Portal,
                        name: String::new(),
                    }
                    .encode_as(out, &portal);
                }
                st.inflight.execute(run, copy);
            }
            e.encode_as(out, &portal);
        }
        Err(err) => stand_in(state, out, err, false),
    }
    Ok(())
}
