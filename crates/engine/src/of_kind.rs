//! Reading every audit event of one kind, oldest first, a page at a time, with its details
//! parsed: how the SSH key revocation list and the recording check find what the chain says.

use serde_json::Value;
use wicket_core::AuditEvent;
use wicket_core::audit::EventKind;
use wicket_store::{AuditFilter, Store};

use crate::error::EngineResult;

/// Events read per round trip.
const PAGE: i64 = 1000;

/// Calls `f` with every event of `kind` and its details (events whose details are not JSON
/// are passed over: the chain still holds them, but they say nothing to read).
pub async fn each(
    store: &dyn Store,
    kind: EventKind,
    mut f: impl FnMut(&AuditEvent, &Value),
) -> EngineResult<()> {
    let mut after = None;
    loop {
        let page = store
            .list_events(&AuditFilter {
                after,
                limit: Some(PAGE),
                kind: Some(kind.as_str().to_string()),
                ..AuditFilter::default()
            })
            .await?;
        let Some(last) = page.last() else {
            return Ok(());
        };
        after = Some(last.seq);
        let full = page.len() as i64 == PAGE;
        for e in &page {
            if let Ok(details) = serde_json::from_str::<Value>(&e.details) {
                f(e, &details);
            }
        }
        if !full {
            return Ok(());
        }
    }
}
