//! Access reviews: a campaign's items as snapshotted at its start, and the rules that decide
//! them (a reviewer certifies or revokes one item; at the deadline the missed ones follow
//! `on_missed`). Pure: the engine hands in `now` and the live grants, and persists the result.

use serde::Serialize;

use crate::audit::{EventBuilder, EventKind};
use crate::config::Config;
use crate::config::reviews::{OnMissed, Review};
use crate::error::WicketError;
use crate::model::{Grant, NewEvent};
use crate::subject::Subject;
use crate::time::Time;
use crate::workflow::{IdSource, SYSTEM, written};

/// What an item reviews.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemKind {
    /// A standing binding of one role to one subject.
    Binding,
    /// A grant whose window is longer than the review's threshold.
    Grant,
}

/// Where an item stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemDecision {
    Pending,
    /// A reviewer kept it.
    Certified,
    /// A reviewer took it away, or the deadline did under `on_missed = "revoke"`.
    Revoked,
    /// Nobody decided it by the deadline and the review says `on_missed = "keep"`.
    Kept,
}

macro_rules! texts {
    ($t:ty { $($v:ident = $s:literal),+ }) => {
        impl $t {
            pub fn as_str(self) -> &'static str {
                match self { $(Self::$v => $s),+ }
            }
            pub fn parse(s: &str) -> Option<$t> {
                match s { $($s => Some(Self::$v),)+ _ => None }
            }
        }
    };
}
texts!(ItemKind { Binding = "binding", Grant = "grant" });
texts!(ItemDecision { Pending = "pending", Certified = "certified", Revoked = "revoked", Kept = "kept" });

/// What a reviewer says about one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ItemVerdict {
    Certify,
    Revoke,
}

/// One thing a campaign asks its reviewers about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ReviewItem {
    pub id: String,
    pub campaign_id: String,
    pub kind: ItemKind,
    /// `user:NAME` or `group:NAME`: whose access this is.
    pub subject: String,
    pub role: String,
    /// For a grant item.
    pub grant_id: Option<String>,
    /// For a grant item: when the grant ends.
    pub expires_at: Option<Time>,
    /// The subjects who may decide it, as they stood at the start.
    pub reviewers: Vec<String>,
    pub decision: ItemDecision,
    pub decided_by: Option<String>,
    pub decided_at: Option<Time>,
    pub comment: Option<String>,
}

/// One run of a `[[reviews]]`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Campaign {
    pub id: String,
    pub review: String,
    pub started_at: Time,
    pub started_by: String,
    /// Decisions are taken until then.
    pub deadline: Time,
    pub closed_at: Option<Time>,
    pub items: Vec<ReviewItem>,
}

impl Campaign {
    /// Whether reviewers may still decide at `now`.
    pub fn open_at(&self, now: Time) -> bool {
        self.closed_at.is_none() && now < self.deadline
    }
}

fn may_review(reviewers: &[String], user: &str, groups: &[String]) -> bool {
    reviewers
        .iter()
        .filter_map(|s| Subject::parse(s).ok())
        .any(|s| s.covers(user, groups))
}

/// Whether `user` (in `groups`) is among the reviewers of `item`.
pub fn reviews_item(item: &ReviewItem, user: &str, groups: &[String]) -> bool {
    may_review(&item.reviewers, user, groups)
}

/// A new campaign of `review` at `now`: every standing binding and live grant in its scope,
/// except the bindings in `suspended` (`(subject, role)`, already taken away), with the
/// reviewers each item has now, and its `review.started` event (naming every reviewer).
pub fn start(
    config: &Config,
    review: &Review,
    grants: &[Grant],
    suspended: &[(String, String)],
    actor: &str,
    now: Time,
    ids: &mut dyn IdSource,
) -> (Campaign, NewEvent) {
    let campaign_id = ids.next_id("rc");
    let mut items: Vec<ReviewItem> = Vec::new();
    let mut item = |kind, subject: String, role: &str, grant: Option<&Grant>| ReviewItem {
        id: ids.next_id("ri"),
        campaign_id: campaign_id.clone(),
        kind,
        subject,
        role: role.to_string(),
        grant_id: grant.map(|g| g.id.clone()),
        expires_at: grant.map(|g| g.expires_at),
        reviewers: review
            .reviewers_of(config.role(role))
            .iter()
            .map(ToString::to_string)
            .collect(),
        decision: ItemDecision::Pending,
        decided_by: None,
        decided_at: None,
        comment: None,
    };
    for b in config
        .bindings
        .iter()
        .filter(|b| b.expires_at.is_none_or(|e| now < e))
    {
        for subject in &b.subjects {
            for role in &b.roles {
                let text = subject.to_string();
                let taken = items.iter().any(|i| i.subject == text && &i.role == role)
                    || suspended.iter().any(|(s, r)| *s == text && r == role);
                if review.covers_binding(subject, role) && !taken {
                    items.push(item(ItemKind::Binding, text, role, None));
                }
            }
        }
    }
    for g in grants {
        let window =
            crate::duration::Duration::from_secs((g.expires_at - g.starts_at).num_seconds());
        let live = g.revoked_at.is_none() && now < g.expires_at;
        if live && window.is_some_and(|w| review.covers_grant(&g.role, w)) {
            items.push(item(
                ItemKind::Grant,
                format!("user:{}", g.user),
                &g.role,
                Some(g),
            ));
        }
    }
    let deadline = now + review.deadline.to_chrono();
    // Who has something to decide, for the notification that tells them.
    let mut reviewers: Vec<&str> = items
        .iter()
        .flat_map(|i| i.reviewers.iter().map(String::as_str))
        .collect();
    reviewers.sort_unstable();
    reviewers.dedup();
    let event = EventBuilder::new(ids.next_id("ev"), now, actor, EventKind::ReviewStarted)
        .detail("review", review.name.as_str())
        .detail("campaign", campaign_id.as_str())
        .detail("items", items.len())
        .detail("deadline", crate::time::format(deadline))
        .detail("reviewers", reviewers)
        .build();
    let campaign = Campaign {
        id: campaign_id,
        review: review.name.clone(),
        started_at: now,
        started_by: actor.to_string(),
        deadline,
        closed_at: None,
        items,
    };
    (campaign, event)
}

/// `reviewer`'s decision on item `item_id` of `campaign`: the item as decided and its event.
/// Refused when the item is unknown (404), the reviewer is not among the item's reviewers or
/// the access is their own (403), the campaign is past its deadline or the item was decided
/// already (409), or the comment is too long (400).
#[expect(clippy::too_many_arguments, reason = "each is one fact the rule needs")]
pub fn decide(
    campaign: &Campaign,
    item_id: &str,
    reviewer: &str,
    groups: &[String],
    verdict: ItemVerdict,
    comment: Option<String>,
    now: Time,
    ids: &mut dyn IdSource,
) -> Result<(ReviewItem, NewEvent), WicketError> {
    let item = campaign
        .items
        .iter()
        .find(|i| i.id == item_id)
        .ok_or_else(|| {
            WicketError::not_found(
                "unknown_item",
                format!("campaign `{}` has no item `{item_id}`", campaign.id),
            )
        })?;
    if !reviews_item(item, reviewer, groups) {
        return Err(WicketError::forbidden(
            "not_a_reviewer",
            format!(
                "`{reviewer}` is not a reviewer of item `{item_id}`; its reviewers are {}",
                item.reviewers.join(", ")
            ),
        ));
    }
    if Subject::parse(&item.subject).is_ok_and(|s| s.covers(reviewer, groups)) {
        return Err(WicketError::forbidden(
            "own_access",
            format!(
                "item `{item_id}` is `{reviewer}`'s own access through `{}`; another reviewer decides it",
                item.subject
            ),
        ));
    }
    if !campaign.open_at(now) {
        return Err(WicketError::conflict(
            "review_closed",
            format!(
                "campaign `{}` closed at its deadline {}; nothing was changed",
                campaign.id,
                crate::time::format(campaign.deadline)
            ),
        ));
    }
    if item.decision != ItemDecision::Pending {
        return Err(WicketError::conflict(
            "already_decided",
            format!(
                "item `{item_id}` was already {} by `{}`",
                item.decision.as_str(),
                item.decided_by.as_deref().unwrap_or(SYSTEM)
            ),
        ));
    }
    let comment = written(comment.as_deref(), "comment_too_long", "comment")?;
    let decision = match verdict {
        ItemVerdict::Certify => ItemDecision::Certified,
        ItemVerdict::Revoke => ItemDecision::Revoked,
    };
    Ok(decided(item, decision, reviewer, comment, now, ids))
}

/// `item` decided as `decision` by `actor`, with its event.
fn decided(
    item: &ReviewItem,
    decision: ItemDecision,
    actor: &str,
    comment: Option<String>,
    now: Time,
    ids: &mut dyn IdSource,
) -> (ReviewItem, NewEvent) {
    let kind = match decision {
        ItemDecision::Revoked => EventKind::ReviewRevoked,
        _ => EventKind::ReviewCertified,
    };
    let mut event = EventBuilder::new(ids.next_id("ev"), now, actor, kind)
        .subject(item.subject.as_str())
        .decision(decision.as_str())
        .detail("campaign", item.campaign_id.as_str())
        .detail("item", item.id.as_str())
        .detail("kind", item.kind.as_str())
        .detail("role", item.role.as_str());
    if let Some(c) = &comment {
        event = event.detail("comment", c.as_str());
    }
    if let Some(g) = &item.grant_id {
        event = event.grant(g.as_str());
    }
    let item = ReviewItem {
        decision,
        decided_by: Some(actor.to_string()),
        decided_at: Some(now),
        comment,
        ..item.clone()
    };
    (item, event.build())
}

/// `campaign` closed at `now` (at or past its deadline): each pending item follows
/// `on_missed`, decided by wicket; the items so decided and every event, `review.closed` last.
pub fn close(
    campaign: &Campaign,
    on_missed: OnMissed,
    now: Time,
    ids: &mut dyn IdSource,
) -> (Vec<ReviewItem>, Vec<NewEvent>) {
    let (decision, comment) = match on_missed {
        OnMissed::Revoke => (
            ItemDecision::Revoked,
            "missed the deadline; the review says on_missed = revoke",
        ),
        OnMissed::Keep => (
            ItemDecision::Kept,
            "missed the deadline; the review says on_missed = keep",
        ),
    };
    let (mut items, mut events) = (Vec::new(), Vec::new());
    for item in campaign
        .items
        .iter()
        .filter(|i| i.decision == ItemDecision::Pending)
    {
        let (item, event) = decided(item, decision, SYSTEM, Some(comment.into()), now, ids);
        items.push(item);
        events.push(event);
    }
    events.push(
        EventBuilder::new(ids.next_id("ev"), now, SYSTEM, EventKind::ReviewClosed)
            .detail("review", campaign.review.as_str())
            .detail("campaign", campaign.id.as_str())
            .detail("missed", items.len())
            .detail("on_missed", on_missed.as_str())
            .build(),
    );
    (items, events)
}

#[cfg(test)]
mod tests;
