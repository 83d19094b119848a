//! The checks every statement passes on its way up: classification, the audit log being
//! writable, `EXECUTE` of a known prepared statement (and `FETCH` of a bound portal) needing
//! what it runs, read-only sessions staying so, and every permission it needs; a failure is
//! audited and becomes the client's error.

use std::sync::Mutex;

use wicket_engine::app::now;

use super::client::lock;
use super::inflight::Run;
use super::{Session, State, events, mask};
use crate::authorize::{self, Denial};
use crate::protocol::error_response::{ErrorFields, code};
use crate::sql::{self, Access, Statement};

/// Authorizes classified statements; on the first denial, audits it and returns the error.
pub(super) async fn authorize(
    s: &Session,
    state: &Mutex<State>,
    stmts: &[Statement],
) -> Result<Vec<Run>, ErrorFields> {
    if s.app.audit.is_failing() {
        // Fail closed. The refusal is audited too: once that succeeds, statements flow again.
        let reason =
            "the audit log cannot be written; statements are refused until it can".to_string();
        let error = ErrorFields::error(
            code::SYSTEM_ERROR,
            format!("wicket refused the statement: {reason}"),
        );
        let (text, accesses) = stmts
            .first()
            .map_or(("", &[][..]), |st| (st.text.as_str(), &st.accesses[..]));
        return Err(deny(s, state, text, accesses, None, Denial { error, reason }).await);
    }
    let at = now();
    let mut runs = Vec::with_capacity(stmts.len());
    for st in stmts {
        let mut accesses = st.accesses.clone();
        let mut kind = st.kind;
        // A cursor's rows come from a query its `FETCH` does not show.
        let mut opaque = st.user_code || st.fetch.is_some();
        if let Some(name) = &st.executes {
            let prepared = lock(state).names.sql_statement(name);
            match prepared {
                Some(p) => {
                    accesses.extend(p.accesses.iter().cloned());
                    kind = kind.max(p.kind);
                    opaque |= p.opaque;
                }
                None => {
                    let reason = format!("prepared statement `{name}` is unknown to the gateway");
                    return Err(deny(
                        s,
                        state,
                        &st.text,
                        &accesses,
                        Some(kind.as_str()),
                        Denial {
                            error: ErrorFields::error(
                                code::INVALID_SQL_STATEMENT_NAME,
                                format!("wicket denied the statement: {reason}"),
                            ),
                            reason,
                        },
                    )
                    .await);
                }
            }
        }
        // `FETCH` or `MOVE` of a portal bound with the protocol runs its statement, which
        // is authorized again, as at every `Execute`. (A cursor declared with SQL was
        // authorized at its `DECLARE`.)
        if let Some(f) = &st.fetch {
            let bound = lock(state).names.bound_portal(&f.cursor);
            if let Some((_, p)) = bound {
                accesses.extend(p.accesses.iter().cloned());
                kind = kind.max(p.kind);
            }
        }
        if st.read_write && s.read_only {
            let d = authorize::read_only(&s.app, &s.user, &s.target.config.resource, at);
            return Err(deny(s, state, &st.text, &accesses, Some(kind.as_str()), d).await);
        }
        let grant = match authorize::check(&s.app, &s.user, &s.target.resources, &accesses, at) {
            Ok(grant) => grant,
            Err(d) => {
                return Err(deny(s, state, &st.text, &accesses, Some(kind.as_str()), d).await);
            }
        };
        let mut mask = match mask::statement(s, &accesses, opaque).await {
            Ok(m) => m,
            Err(d) => return Err(deny(s, state, &st.text, &accesses, Some(kind.as_str()), d).await),
        };
        if let Some(m) = &mut mask
            && st.shape.command == "COPY"
            && !st.copy_in
            && m.computed
        {
            // Its fields are placed by the table's columns in order, which DDL of another
            // connection may have changed since the snapshot: it is masked by a fresh one.
            if let Some(masking) = &s.target.masking {
                masking.mark_stale();
            }
            *m = match mask::statement(s, &accesses, opaque).await {
                Ok(Some(fresh)) => fresh,
                Ok(None) => m.clone(),
                Err(d) => {
                    return Err(deny(s, state, &st.text, &accesses, Some(kind.as_str()), d).await);
                }
            };
            let ascii_unsafe = lock(state).ascii_unsafe;
            match mask::copy_plan(s, m, st.copy_out.as_ref(), &accesses, ascii_unsafe) {
                Ok(masked) => *m = masked,
                Err(d) => {
                    return Err(deny(s, state, &st.text, &accesses, Some(kind.as_str()), d).await);
                }
            }
        }
        runs.push(Run {
            text: events::recorded(&st.text, s.target.config.statement_max_bytes),
            text_bytes: st.text.len(),
            kind,
            accesses,
            grant,
            effect: st.effect.clone(),
            protocol: "simple",
            shape: st.shape.clone(),
            opaque,
            mask,
        });
    }
    Ok(runs)
}

pub(super) async fn deny(
    s: &Session,
    state: &Mutex<State>,
    text: &str,
    accesses: &[Access],
    kind: Option<&str>,
    d: Denial,
) -> ErrorFields {
    lock(state).denied += 1;
    s.audit(events::denied(s, text, accesses, kind, &d.reason, now()))
        .await;
    d.error
}

/// SQL the gateway could not classify: the client's error, and whether the SQL does not
/// parse (the server then words the error, see [`super::syntax`]).
pub(super) struct Unread {
    pub error: ErrorFields,
    pub syntax: bool,
}

/// Classifies, or audits the failure and returns the error.
pub(super) async fn classify(
    s: &Session,
    state: &Mutex<State>,
    text: &str,
) -> Result<Vec<Statement>, Unread> {
    let strings = lock(state).strings;
    let read = s.cache.classify(text, strings).and_then(|mut stmts| {
        sql::resolve(&mut lock(state).search_path, &mut stmts)?;
        Ok(stmts)
    });
    match read {
        Ok(stmts) => Ok(stmts),
        Err(e) => Err(Unread {
            syntax: matches!(e, sql::SqlError::Syntax(_)),
            error: deny(s, state, text, &[], None, authorize::unreadable(&e)).await,
        }),
    }
}
