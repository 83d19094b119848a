//! Access reviews: starting campaigns (when `every` has passed, or on demand), reviewers'
//! decisions on their items, closing campaigns at their deadline, and the standing bindings
//! a review suspended, which the decision index leaves out until the configuration drops them.

mod suspend;
mod sweep;

use wicket_core::config::reviews::Review;
use wicket_core::review::{self, Campaign, ItemDecision, ItemKind, ItemVerdict, ReviewItem};
use wicket_core::workflow::{self, Changes, SYSTEM};
use wicket_core::{Config, Power, Subject, Time, WicketError};
use wicket_store::{ReviewWrite, Store, StoreError, Suspension};

use crate::app::{App, now};
use crate::error::{EngineError, EngineResult};
use crate::ids::RandomIds;

pub use sweep::sweep;

/// The suspended bindings as the index takes them: `(subject, role)`.
pub async fn suspended(store: &dyn Store) -> Result<Vec<(String, String)>, StoreError> {
    Ok(store
        .suspensions()
        .await?
        .into_iter()
        .map(|s| (s.subject, s.role))
        .collect())
}

/// Lifts every suspension whose binding `config` no longer has: once the configuration drops
/// a binding, adding it back gives the access again. At start, before the index is loaded.
pub async fn lift_dropped(store: &dyn Store, config: &Config) -> EngineResult<()> {
    let lift: Vec<(String, String)> = store
        .suspensions()
        .await?
        .into_iter()
        .filter(|s| !has_binding(config, &s.subject, &s.role))
        .map(|s| (s.subject, s.role))
        .collect();
    if !lift.is_empty() {
        tracing::info!(
            count = lift.len(),
            "suspensions lifted: the configuration dropped their bindings"
        );
        store
            .write_reviews(ReviewWrite {
                lift,
                ..ReviewWrite::default()
            })
            .await?;
    }
    Ok(())
}

fn has_binding(config: &Config, subject: &str, role: &str) -> bool {
    let Ok(subject) = Subject::parse(subject) else {
        return false;
    };
    config
        .bindings
        .iter()
        .any(|b| b.subjects.contains(&subject) && b.roles.iter().any(|r| r == role))
}

fn review<'a>(app: &'a App, name: &str) -> EngineResult<&'a Review> {
    app.config
        .reviews
        .iter()
        .find(|r| r.name == name)
        .ok_or_else(|| {
            let names: Vec<&str> = app.config.reviews.iter().map(|r| r.name.as_str()).collect();
            EngineError::not_found(
                "unknown_review",
                format!(
                    "unknown review `{name}`; the configuration has {}",
                    crate::error::names_or_none(&names)
                ),
            )
        })
}

/// Starts a campaign of review `name` now, for `user`, who needs `wicket:reviews.manage`.
pub async fn start(app: &App, user: &str, name: &str) -> EngineResult<Campaign> {
    app.require_power(user, Power::ReviewsManage)?;
    let review = review(app, name)?.clone();
    start_as(app, user, &review).await
}

/// Starts a campaign of `review` with no permission check (the schedule's, or a caller that
/// checked already). A campaign of it still open is a conflict.
pub(crate) async fn start_as(app: &App, actor: &str, review: &Review) -> EngineResult<Campaign> {
    let at = now();
    let grants = app.store.live_grants(at).await?;
    let suspended = suspended(&*app.store).await?;
    let (campaign, event) = review::start(
        &app.config,
        review,
        &grants,
        &suspended,
        actor,
        at,
        &mut RandomIds,
    );
    let write = ReviewWrite {
        start: Some(campaign.clone()),
        events: vec![event],
        ..ReviewWrite::default()
    };
    match app.store.write_reviews(write).await {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => {
            return Err(EngineError::conflict(
                "campaign_open",
                format!(
                    "a campaign of review `{}` is still open; decide it or wait for its deadline",
                    review.name
                ),
            ));
        }
        Err(e) => return Err(e.into()),
    }
    app.tail.wake();
    tracing::info!(review = %review.name, campaign = %campaign.id, items = campaign.items.len(), "access review started");
    Ok(campaign)
}

/// The campaigns `user` may see, newest first: all of them, whole, for holders of
/// `wicket:reviews.manage` or `wicket:audit.read`; otherwise those with an item `user`
/// reviews, with only those items.
pub async fn visible(app: &App, user: &str) -> EngineResult<Vec<Campaign>> {
    let all = app.store.list_campaigns(false).await?;
    if may_read_all(app, user) {
        return Ok(all);
    }
    let groups = app.groups_of(user);
    Ok(all
        .into_iter()
        .filter_map(|mut c| {
            c.items.retain(|i| review::reviews_item(i, user, &groups));
            (!c.items.is_empty()).then_some(c)
        })
        .collect())
}

fn may_read_all(app: &App, user: &str) -> bool {
    app.has_power(user, Power::ReviewsManage) || app.has_power(user, Power::AuditRead)
}

async fn campaign(app: &App, id: &str) -> EngineResult<Campaign> {
    app.store.get_campaign(id).await?.ok_or_else(|| {
        EngineError::not_found("unknown_campaign", format!("unknown campaign `{id}`"))
    })
}

/// Campaign `id` whole, for its report: `wicket:reviews.manage` or `wicket:audit.read`.
pub async fn report(app: &App, user: &str, id: &str) -> EngineResult<Campaign> {
    if !may_read_all(app, user) {
        app.require_power(user, Power::ReviewsManage)?;
    }
    campaign(app, id).await
}

/// `user` certifies or revokes item `item` of campaign `id`. Revoking a standing binding
/// suspends it; revoking a grant item revokes the grant, in the same transaction.
pub async fn decide(
    app: &App,
    user: &str,
    id: &str,
    item: &str,
    verdict: ItemVerdict,
    comment: Option<String>,
) -> EngineResult<ReviewItem> {
    let campaign = campaign(app, id).await?;
    let groups = app.groups_of(user);
    let at = now();
    let (decided, event) = review::decide(
        &campaign,
        item,
        user,
        &groups,
        verdict,
        comment,
        at,
        &mut RandomIds,
    )?;
    let mut write = ReviewWrite {
        decisions: vec![decided.clone()],
        events: vec![event],
        ..ReviewWrite::default()
    };
    let changes = consequences(app, &campaign, &decided, user, at, &mut write).await?;
    let ahead = suspend::ahead(app, &write.suspend);
    match app.store.write_reviews(write).await {
        Ok(_) => ahead.landed(app).await,
        Err(e) => {
            ahead.failed(app, &e).await;
            return Err(match e {
                StoreError::Conflict(_) => EngineError::conflict(
                    "already_decided",
                    format!("item `{item}` was decided meanwhile; nothing was changed"),
                ),
                e => e.into(),
            });
        }
    }
    applied(app, &decided, changes).await?;
    app.metrics.review_decision(decided.decision.as_str());
    Ok(decided)
}

/// What revoking `item` does beside recording it: a binding is suspended; a grant still live
/// is revoked (its revocation returned, for the index).
async fn consequences(
    app: &App,
    campaign: &Campaign,
    item: &ReviewItem,
    actor: &str,
    at: Time,
    write: &mut ReviewWrite,
) -> EngineResult<Option<Changes>> {
    if item.decision != ItemDecision::Revoked {
        return Ok(None);
    }
    match (item.kind, &item.grant_id) {
        (ItemKind::Binding, _) => {
            write.suspend.push(Suspension {
                subject: item.subject.clone(),
                role: item.role.clone(),
                campaign_id: campaign.id.clone(),
                item_id: item.id.clone(),
                at,
                by: actor.to_string(),
            });
            Ok(None)
        }
        (ItemKind::Grant, Some(grant_id)) => {
            let Some(grant) = app.store.get_grant(grant_id).await? else {
                return Ok(None);
            };
            let reason = format!(
                "revoked in access review `{}` (campaign `{}`)",
                campaign.review, campaign.id
            );
            match workflow::revoke(&grant, actor, true, Some(reason), at, &mut RandomIds) {
                Ok(changes) => {
                    write.revocations.extend(changes.revocation.clone());
                    write.events.extend(changes.events.iter().cloned());
                    Ok(Some(changes))
                }
                // Ended or revoked already: the decision is recorded, nothing else to do.
                Err(WicketError { .. }) => Ok(None),
            }
        }
        (ItemKind::Grant, None) => Ok(None),
    }
}

/// After a commit: the index learns of a revoked grant or a suspended binding.
async fn applied(app: &App, item: &ReviewItem, changes: Option<Changes>) -> EngineResult<()> {
    if let Some(changes) = changes {
        app.apply_to_index(&changes);
        app.metrics.revocation();
    }
    if item.decision == ItemDecision::Revoked && item.kind == ItemKind::Binding {
        crate::identity::refresh(app).await?;
    }
    app.tail.wake();
    Ok(())
}

/// The verdict named `certify` or `revoke`.
pub fn verdict(action: &str) -> Option<ItemVerdict> {
    match action {
        "certify" => Some(ItemVerdict::Certify),
        "revoke" => Some(ItemVerdict::Revoke),
        _ => None,
    }
}

/// The actor of the schedule's campaigns and of missed items.
pub const SCHEDULE: &str = SYSTEM;
