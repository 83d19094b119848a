//! Contract bodies for access reviews: a campaign and its items read back as written, one
//! campaign of a review open at a time, an item decided once, a revoked grant item revoking the
//! grant in the same transaction, suspensions kept and lifted, and every write's events.

use chrono::Duration as Span;
use wicket_core::review::{Campaign, ItemDecision, ItemKind, ReviewItem};
use wicket_core::workflow::Changes;
use wicket_store::{AuditFilter, ReviewWrite, StoreError, Suspension};

use crate::TestResult;
use crate::contract::{
    Shared, activated, event, grant, insert, refused, request, revocation, stored_grant, t0,
};

fn item(campaign: &str, id: &str, subject: &str, grant_id: Option<&str>) -> ReviewItem {
    ReviewItem {
        id: id.into(),
        campaign_id: campaign.into(),
        kind: if grant_id.is_some() {
            ItemKind::Grant
        } else {
            ItemKind::Binding
        },
        subject: subject.into(),
        role: "orders-db-read".into(),
        grant_id: grant_id.map(Into::into),
        expires_at: grant_id.map(|_| t0() + Span::hours(1)),
        reviewers: vec!["user:bob".into(), "group:security".into()],
        decision: ItemDecision::Pending,
        decided_by: None,
        decided_at: None,
        comment: None,
    }
}

fn campaign(id: &str, review: &str, items: Vec<ReviewItem>) -> Campaign {
    Campaign {
        id: id.into(),
        review: review.into(),
        started_at: t0(),
        started_by: "wicket".into(),
        deadline: t0() + Span::days(7),
        closed_at: None,
        items,
    }
}

pub async fn access_reviews_read_back_decide_once_and_suspend(store: Shared) -> TestResult {
    // A grant for the grant item.
    let r = request("alice", t0());
    insert(&*store, &r).await?;
    let g = grant(&r, "orders-db-read", t0(), t0() + Span::hours(1));
    store
        .commit(Changes {
            grants: vec![activated(g.clone())],
            ..Changes::default()
        })
        .await?;

    let c = campaign(
        "rc_1",
        "quarterly",
        vec![
            item("rc_1", "ri_1", "group:sre", None),
            item("rc_1", "ri_2", "user:alice", Some(&g.id)),
        ],
    );
    let events = store
        .write_reviews(ReviewWrite {
            start: Some(c.clone()),
            events: vec![event("review.started", "wicket", t0()).build()],
            ..ReviewWrite::default()
        })
        .await?;
    assert_eq!(events.len(), 1);
    assert_eq!(store.get_campaign("rc_1").await?, Some(c.clone()));
    assert_eq!(store.list_campaigns(true).await?, vec![c.clone()]);
    assert_eq!(store.get_campaign("rc_nope").await?, None);

    // A second open campaign of the same review is refused, and writes nothing.
    let twin = campaign("rc_2", "quarterly", Vec::new());
    refused(
        store
            .write_reviews(ReviewWrite {
                start: Some(twin),
                events: vec![event("review.started", "wicket", t0()).build()],
                ..ReviewWrite::default()
            })
            .await,
        "a second open campaign was accepted",
        |m| m.contains("`quarterly` is still open"),
    )?;
    assert_eq!(store.list_campaigns(false).await?.len(), 1);

    // Revoke the binding item (suspending it) and the grant item (revoking the grant), at once.
    let at = t0() + Span::minutes(1);
    let decided = |i: &ReviewItem| ReviewItem {
        decision: ItemDecision::Revoked,
        decided_by: Some("bob".into()),
        decided_at: Some(at),
        comment: Some("no longer needed".into()),
        ..i.clone()
    };
    let write = ReviewWrite {
        decisions: vec![decided(&c.items[0]), decided(&c.items[1])],
        suspend: vec![Suspension {
            subject: "group:sre".into(),
            role: "orders-db-read".into(),
            campaign_id: "rc_1".into(),
            item_id: "ri_1".into(),
            at,
            by: "bob".into(),
        }],
        revocations: vec![revocation(&g.id, at, "bob", "revoked in access review")],
        events: vec![
            event("review.revoked", "bob", at).build(),
            event("review.revoked", "bob", at).build(),
        ],
        ..ReviewWrite::default()
    };
    store.write_reviews(write.clone()).await?;
    let read = store
        .get_campaign("rc_1")
        .await?
        .ok_or("campaign vanished")?;
    assert_eq!(read.items, vec![decided(&c.items[0]), decided(&c.items[1])]);
    assert_eq!(stored_grant(&*store, &g.id).await?.revoked_at, Some(at));
    let suspended = store.suspensions().await?;
    assert_eq!(suspended.len(), 1);
    assert_eq!(suspended[0].subject, "group:sre");

    // Deciding again is a conflict, and nothing of it is written.
    let before = store.list_events(&AuditFilter::default()).await?.len();
    refused(
        store.write_reviews(write).await,
        "a second decision was accepted",
        |_| true,
    )?;
    assert_eq!(
        store.list_events(&AuditFilter::default()).await?.len(),
        before
    );

    // Closing: once; then another campaign of the review may start.
    let close = ReviewWrite {
        close: Some(("rc_1".into(), t0() + Span::days(7))),
        events: vec![event("review.closed", "wicket", t0()).build()],
        ..ReviewWrite::default()
    };
    store.write_reviews(close.clone()).await?;
    assert!(store.list_campaigns(true).await?.is_empty());
    assert!(matches!(
        store.write_reviews(close).await,
        Err(StoreError::Conflict(_))
    ));
    let mut next = campaign("rc_3", "quarterly", Vec::new());
    next.started_at = t0() + Span::days(90);
    store
        .write_reviews(ReviewWrite {
            start: Some(next),
            ..ReviewWrite::default()
        })
        .await?;
    let last = store.last_campaigns().await?;
    assert_eq!(
        last.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        ["rc_3"]
    );

    // Lifting a suspension.
    store
        .write_reviews(ReviewWrite {
            lift: vec![("group:sre".into(), "orders-db-read".into())],
            ..ReviewWrite::default()
        })
        .await?;
    assert!(store.suspensions().await?.is_empty());
    Ok(())
}
