//! The audit chain: its head, sealing events after it, and appending them; reading them back
//! is in `list`.

mod list;

use wicket_core::audit::{GENESIS, seal};
use wicket_core::time::truncate;
use wicket_core::{AuditEvent, NewEvent};

use super::{Columns, Conn, Dialect, Statement, Value, Work, fetch_optional_decoded};
use crate::StoreError;

pub(crate) use list::{decode, list, list_statement};

/// The columns of an event, in the order [`values`] gives them and [`decode`] reads them.
pub(crate) const COLUMNS: &str = "seq, id, at, actor, kind, subject, action, resource, decision, \
                                  request_id, grant_id, details, prev_hash, hash";

/// Events appended in one write transaction that holds nothing else (checks, policy loads).
pub(crate) struct Append(pub(crate) Vec<NewEvent>);

impl Work for Append {
    type Done = Vec<AuditEvent>;

    fn nothing_to_do(&self) -> Option<Vec<AuditEvent>> {
        self.0.is_empty().then(Vec::new)
    }

    async fn run<C: Conn>(self, conn: &mut C) -> Result<Vec<AuditEvent>, StoreError> {
        append(conn, self.0).await
    }
}

/// The last event's `(seq, hash)`, if any.
pub(crate) async fn head<C: Conn>(conn: &mut C) -> Result<Option<(i64, String)>, StoreError> {
    seq_and_hash(
        conn,
        "SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1",
    )
    .await
}

/// The `(seq, hash)` that `sql` selects, if it selects one.
pub(super) async fn seq_and_hash<C: Conn>(
    conn: &mut C,
    sql: &str,
) -> Result<Option<(i64, String)>, StoreError> {
    let st = Statement::new(C::DIALECT, sql);
    fetch_optional_decoded(conn, &st, |row| Ok((row.int(0)?, row.text(1)?))).await
}

/// Seals `events` in order after the current head and inserts them, inside the caller's
/// write transaction, after [`Conn::lock_chain`]: the head read here stays the head until
/// commit.
pub(crate) async fn append<C: Conn>(
    conn: &mut C,
    events: Vec<NewEvent>,
) -> Result<Vec<AuditEvent>, StoreError> {
    if events.is_empty() {
        return Ok(Vec::new());
    }
    conn.lock_chain().await?;
    let sealed = seal_after(head(&mut *conn).await?, events);
    for chunk in sealed.chunks(C::EVENTS_PER_INSERT) {
        conn.insert_events(chunk).await?;
    }
    Ok(sealed)
}

/// Seals `events` in order after `head` (the last event's `(seq, hash)`, if any).
pub(crate) fn seal_after(head: Option<(i64, String)>, events: Vec<NewEvent>) -> Vec<AuditEvent> {
    let (mut seq, mut prev) = head.unwrap_or((0, GENESIS.to_string()));
    let mut sealed = Vec::with_capacity(events.len());
    for mut event in events {
        // The store keeps milliseconds; sealing the stored value keeps what is returned here
        // equal to what is read back later.
        event.at = truncate(event.at);
        let event = seal(seq, &prev, event);
        seq = event.seq;
        prev.clone_from(&event.hash);
        sealed.push(event);
    }
    sealed
}

/// One `INSERT` of `events`, a row each.
pub(crate) fn insert(dialect: Dialect, events: &[AuditEvent]) -> Statement<'_> {
    let mut st = Statement::insert_into(dialect, "audit_events", COLUMNS);
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            st.push(", ");
        }
        st.bind_row(values(e));
    }
    st
}

/// The values of [`COLUMNS`] for `e`.
pub(crate) fn values(e: &AuditEvent) -> [Value<'_>; 14] {
    [
        e.seq.into(),
        e.id.as_str().into(),
        Value::Time(e.at),
        e.actor.as_str().into(),
        e.kind.as_str().into(),
        e.subject.as_deref().into(),
        e.action.as_deref().into(),
        e.resource.as_deref().into(),
        e.decision.as_deref().into(),
        e.request_id.as_deref().into(),
        e.grant_id.as_deref().into(),
        e.details.as_str().into(),
        e.prev_hash.as_str().into(),
        e.hash.as_str().into(),
    ]
}

/// The message of the conflict when event `id` is already stored.
pub(crate) fn duplicate_id(id: &str) -> String {
    format!("an audit event with id `{id}` already exists")
}
