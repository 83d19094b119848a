//! Masking in a session: what a statement reads of masked columns (decided before it goes
//! upstream, with the catalog snapshot its results are masked by), and whether the user may
//! see a masked column in clear now.

use std::sync::Arc;

use wicket_engine::app::now;

use super::Session;
use crate::authorize::Denial;
use crate::mask::catalog::MaskedColumn;
use crate::mask::{StatementMask, copy};
use crate::protocol::error_response::{ErrorFields, code};
use crate::sql::{Access, CopyOut};

/// True when the session's user holds the unmask action of `c`'s rule on `c`'s resource.
pub fn unmasked(s: &Session, c: &MaskedColumn) -> bool {
    let Some(m) = &s.target.masking else {
        return true;
    };
    m.unmask(c.rule)
        .is_some_and(|a| s.app.decide(&s.user, a, &c.resource, now()).allowed)
}

/// What masking knows of a statement with `accesses`, on a target with masking rules. A
/// catalog that cannot be read refuses the statement: masking fails closed.
pub async fn statement(
    s: &Session,
    accesses: &[Access],
    opaque: bool,
) -> Result<Option<Arc<StatementMask>>, Denial> {
    let Some(m) = &s.target.masking else {
        return Ok(None);
    };
    let tables: Vec<(&str, &str)> = accesses
        .iter()
        .filter_map(|a| a.table.as_ref())
        .map(|t| (t.schema.as_str(), t.name.as_str()))
        .collect();
    let mut snapshot = m.current(&s.target).await;
    // A relation created since the snapshot: read the catalog again before it runs.
    if let Ok(snap) = &snapshot
        && tables
            .iter()
            .any(|(schema, name)| !snap.names.contains(&(schema.to_string(), name.to_string())))
    {
        m.mark_stale();
        snapshot = m.current(&s.target).await;
    }
    let snapshot = snapshot.map_err(|e| {
        tracing::warn!(target = %s.target.config.name, error = %e, "reading the catalog for masking failed");
        let reason = "the gateway cannot read the database's catalog, which masking needs".to_string();
        Denial {
            error: ErrorFields::error(
                code::SYSTEM_ERROR,
                format!("wicket refused the statement: {reason}; the gateway's log has the details"),
            ),
            reason,
        }
    })?;
    let unmasked = |c: &MaskedColumn| unmasked(s, c);
    Ok(Some(Arc::new(m.statement(
        snapshot,
        tables.into_iter(),
        opaque,
        &unmasked,
    ))))
}

/// A `COPY ... TO STDOUT` that reads a masked column the user may not unmask: `m` with the
/// plan that masks its rows, or its refusal when the gateway cannot mask them exactly
/// (`COPY (query)`, the binary format, an option masking cannot honour, a client encoding
/// such as `SJIS` whose characters may hold ASCII bytes).
pub fn copy_plan(
    s: &Session,
    m: &Arc<StatementMask>,
    spec: Option<&CopyOut>,
    accesses: &[Access],
    ascii_unsafe: bool,
) -> Result<Arc<StatementMask>, Denial> {
    if ascii_unsafe {
        return Err(copy_refused(
            m,
            "the client's encoding may hold a backslash or delimiter byte inside a character; use UTF8",
        ));
    }
    let tables: Vec<(&str, &str)> = accesses
        .iter()
        .filter_map(|a| a.table.as_ref())
        .map(|t| (t.schema.as_str(), t.name.as_str()))
        .collect();
    let unmasked = |c: &MaskedColumn| unmasked(s, c);
    match copy::plan(m, spec, &tables, &unmasked) {
        Ok(plan) => Ok(Arc::new(StatementMask {
            snapshot: m.snapshot.clone(),
            reads: m.reads.clone(),
            computed: m.computed,
            copy: plan.map(Arc::new),
        })),
        Err(why) => Err(copy_refused(m, &why)),
    }
}

/// A `COPY ... TO` of masked columns the gateway cannot mask: refused, saying why.
fn copy_refused(m: &StatementMask, why: &str) -> Denial {
    let names: Vec<&str> = m.reads.iter().map(|c| c.name.as_str()).collect();
    let reason = format!(
        "COPY ... TO of masked columns is refused ({}): {why}; copy the table itself in text or CSV format, read them with SELECT, which masks them, or hold their unmask permission",
        names.join(", ")
    );
    Denial {
        error: ErrorFields::error(
            code::INSUFFICIENT_PRIVILEGE,
            format!("wicket denied the statement: {reason}"),
        ),
        reason,
    }
}
