//! Failing closed around a review's suspensions: the decision index leaves a revoked binding
//! out before the store records the revocation, so no check is allowed by a binding that a
//! reader of the store (the campaign's page, its report, another request) already sees
//! revoked. Should the write not land, the index is read back from the store.

use wicket_store::{StoreError, Suspension};

use crate::app::App;
use crate::replicate::Reloaded;

/// Leaves `suspensions` out of the decision index now, ahead of their write.
pub async fn ahead(app: &App, suspensions: &[Suspension]) {
    if suspensions.is_empty() {
        return;
    }
    // Serialized with reloads; grants committed meanwhile are replayed on top.
    let recording = app.replica.record(&app.index).await;
    let next = {
        let current = app.index();
        let mut suspended = current.suspended().to_vec();
        suspended.extend(
            suspensions
                .iter()
                .map(|s| (s.subject.clone(), s.role.clone())),
        );
        current.with_suspended(suspended)
    };
    recording.finish(Reloaded::All(Box::new(next)));
}

/// After a write that failed with `error` when suspensions went `ahead`: the index as the
/// store has it again (another server's write, on a conflict, may have suspended the same).
pub async fn undo(app: &App, error: &StoreError) {
    if let Err(e) = crate::identity::refresh(app).await {
        tracing::warn!(
            write_error = %error,
            error = %e,
            "re-reading the decision index after a review's write failed: bindings it would have suspended stay left out until the next reload"
        );
    }
}
