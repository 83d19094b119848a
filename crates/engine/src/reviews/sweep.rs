//! The schedule: a campaign starts when its review has none yet or `every` has passed since
//! the last one started, and closes at its deadline, its missed items following `on_missed`.

use wicket_core::review::{self, Campaign, ItemDecision, ItemKind};
use wicket_core::workflow::SYSTEM;
use wicket_core::{ErrorKind, Time};
use wicket_store::{ReviewWrite, StoreError};

use super::{consequences, start_as};
use crate::app::{App, now};
use crate::error::{EngineError, EngineResult};
use crate::ids::RandomIds;

/// One round: closes the campaigns past their deadline, then starts those due.
pub async fn sweep(app: &App) -> EngineResult<()> {
    if app.config.reviews.is_empty() {
        return Ok(());
    }
    let at = now();
    for c in app.store.list_campaigns(true).await? {
        if at >= c.deadline {
            close(app, &c, at).await?;
        }
    }
    let last = app.store.last_campaigns().await?;
    for r in &app.config.reviews {
        let due = match last.iter().find(|c| c.review == r.name) {
            None => true,
            Some(c) => c.closed_at.is_some() && at >= c.started_at + r.every.to_chrono(),
        };
        if !due {
            continue;
        }
        match start_as(app, SYSTEM, r).await {
            Ok(_) => {}
            // Another server started it first.
            Err(EngineError::Refused(e)) if e.kind == ErrorKind::Conflict => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Closes `campaign` at `at`: every pending item follows its review's `on_missed` (a review
/// the configuration no longer has keeps them), decided by wicket, in one transaction.
async fn close(app: &App, campaign: &Campaign, at: Time) -> EngineResult<()> {
    let on_missed = app
        .config
        .reviews
        .iter()
        .find(|r| r.name == campaign.review)
        .map_or(wicket_core::config::reviews::OnMissed::Keep, |r| {
            r.on_missed
        });
    let (items, events) = review::close(campaign, on_missed, at, &mut RandomIds);
    let mut write = ReviewWrite {
        close: Some((campaign.id.clone(), at)),
        decisions: items.clone(),
        events: Vec::new(),
        ..ReviewWrite::default()
    };
    let mut revoked = Vec::new();
    for item in &items {
        if let Some(changes) = consequences(app, campaign, item, SYSTEM, at, &mut write).await? {
            revoked.push(changes);
        }
    }
    // The items' and revocations' events first, `review.closed` last.
    write.events = events
        .into_iter()
        .chain(std::mem::take(&mut write.events))
        .collect();
    if let Some(pos) = write
        .events
        .iter()
        .position(|e| e.kind == wicket_core::audit::EventKind::ReviewClosed.as_str())
    {
        let closed = write.events.remove(pos);
        write.events.push(closed);
    }
    let ahead = super::suspend::ahead(app, &write.suspend);
    match app.store.write_reviews(write).await {
        Ok(_) => ahead.landed(app).await,
        Err(e) => {
            ahead.failed(app, &e).await;
            return match e {
                // Another server closed it first.
                StoreError::Conflict(_) => Ok(()),
                e => Err(e.into()),
            };
        }
    }
    tracing::info!(campaign = %campaign.id, missed = items.len(), on_missed = on_missed.as_str(), "access review closed");
    let suspended = items
        .iter()
        .any(|i| i.decision == ItemDecision::Revoked && i.kind == ItemKind::Binding);
    for changes in revoked {
        app.apply_to_index(&changes);
        app.metrics.revocation();
    }
    if suspended {
        crate::identity::refresh(app).await?;
    }
    app.tail.wake();
    Ok(())
}
