//! Failing closed around a review's suspensions: the decision index leaves a revoked binding
//! out before the store records the revocation, so no check is allowed by a binding that a
//! reader of the store (the campaign's page, its report, another request) already sees
//! revoked. Until the write lands, every reload of the index leaves the binding out too
//! ([`crate::replicate::Replica::hold`]); should the write fail, the index is read back from
//! the store.

use wicket_store::{StoreError, Suspension};

use crate::app::App;

/// Bindings left out of the decision index ahead of their write.
#[must_use = "release the bindings once their write landed or failed"]
pub struct Ahead {
    bindings: Vec<(String, String)>,
}

/// Leaves `suspensions` out of the decision index now, ahead of their write.
pub fn ahead(app: &App, suspensions: &[Suspension]) -> Ahead {
    let bindings: Vec<(String, String)> = suspensions
        .iter()
        .map(|s| (s.subject.clone(), s.role.clone()))
        .collect();
    app.replica.hold(&app.index, &bindings);
    Ahead { bindings }
}

impl Ahead {
    /// The write landed: the store holds the suspensions, and every later reload reads them.
    pub async fn landed(self, app: &App) {
        app.replica.release(&app.index, &self.bindings).await;
    }

    /// The write failed with `error`: the index as the store has it again (another server's
    /// write, on a conflict, may have suspended the same).
    pub async fn failed(self, app: &App, error: &StoreError) {
        if self.bindings.is_empty() {
            return;
        }
        app.replica.release(&app.index, &self.bindings).await;
        if let Err(e) = crate::identity::refresh(app).await {
            tracing::warn!(
                write_error = %error,
                error = %e,
                "re-reading the decision index after a review's write failed: bindings it would have suspended stay left out until the next reload"
            );
        }
    }
}
