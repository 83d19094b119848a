//! Backend-independent test bodies over `dyn Store`, and the fixtures they share.

use std::collections::HashSet;
use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::Duration as Span;
use wicket_core::audit::EventKind;
use wicket_core::audit::{EventBuilder, Verifier};
use wicket_core::time::from_millis;
use wicket_core::workflow::{Changes, Extension, NewGrant, RequestWrite, Revocation};
use wicket_core::{
    Anomaly, AuditEvent, Duration, Grant, NewEvent, Request, RequestState, Review, Severity, Time,
    TokenRecord, Verdict,
};
use wicket_store::{AnomalyFilter, AuditFilter, GrantFilter, RequestFilter, Store, StoreError};

pub use crate::directory::{
    directory_names_are_unique_versions_current_and_members_real, directory_reads_back_as_written,
    live_tokens_are_the_unrevoked_ones,
};
pub use crate::reviews::access_reviews_read_back_decide_once_and_suspend;

pub type TestResult = Result<(), Box<dyn Error + Send + Sync>>;
pub type Shared = Arc<dyn Store>;

/// A fixed "now" for every fixture: 2023-11-14T22:13:20Z.
pub fn t0() -> Time {
    from_millis(1_700_000_000_000)
}

fn next_id(prefix: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    format!("{prefix}_{}", N.fetch_add(1, Ordering::Relaxed))
}

pub fn request(requester: &str, created_at: Time) -> Request {
    Request {
        id: next_id("req"),
        requester: requester.into(),
        roles: vec!["orders-db-read".into(), "logs-read".into()],
        policy: "sre-production".into(),
        reason: Some("INC-42: orders stuck".into()),
        ticket: Some("INC-42".into()),
        duration: Duration::HOUR,
        start_at: None,
        break_glass: false,
        action: Some("db:select".into()),
        resource: Some("postgres/prod/orders/public/orders".into()),
        state: RequestState::Pending,
        step: 0,
        created_at,
        pending_until: created_at + Span::minutes(30),
        decided_at: None,
        extends: None,
        reviews: Vec::new(),
        version: 1,
    }
}

pub fn review(request: &Request, reviewer: &str, decision: Verdict, at: Time) -> Review {
    Review {
        request_id: request.id.clone(),
        reviewer: reviewer.into(),
        step: request.step,
        decision,
        comment: Some(format!("{reviewer} looked")),
        at,
    }
}

pub fn grant(request: &Request, role: &str, starts_at: Time, expires_at: Time) -> Grant {
    Grant::new(
        next_id("gr"),
        request.requester.clone(),
        role,
        request.id.clone(),
        (starts_at, expires_at),
    )
}

pub fn event(kind: &str, actor: &str, at: Time) -> EventBuilder {
    EventBuilder::named(next_id("ev"), at, actor, kind)
}

pub fn request_event(kind: &str, r: &Request, at: Time) -> NewEvent {
    event(kind, &r.requester, at)
        .subject(format!("user:{}", r.requester))
        .request(&r.id)
        .detail("roles", r.roles.join(","))
        .build()
}

/// A token of `user` with hash `hash`, created by `created_by` at [`t0`], not expiring.
pub fn token(id: &str, user: &str, hash: &str, created_by: &str) -> TokenRecord {
    TokenRecord {
        id: id.into(),
        user: user.into(),
        hash: hash.into(),
        created_at: t0(),
        expires_at: None,
        created_by: created_by.into(),
        revoked_at: None,
    }
}

/// Grant `id` as stored; gone is an error.
pub async fn stored_grant(
    store: &dyn Store,
    id: &str,
) -> Result<Grant, Box<dyn Error + Send + Sync>> {
    Ok(store.get_grant(id).await?.ok_or("grant vanished")?)
}

/// The changes that write `request` over the stored version `expected_version`.
pub fn update(request: Request, expected_version: i64) -> Changes {
    Changes {
        request: Some(RequestWrite::Update {
            request,
            expected_version,
        }),
        ..Changes::default()
    }
}

/// `grant`, its activation recorded already.
pub fn activated(grant: Grant) -> NewGrant {
    NewGrant {
        grant,
        activation_recorded: true,
    }
}

/// The revocation of grant `grant_id` at `at` by `by`, saying `reason`.
pub fn revocation(grant_id: &str, at: Time, by: &str, reason: &str) -> Revocation {
    Revocation {
        grant_id: grant_id.into(),
        at,
        by: by.into(),
        reason: reason.into(),
    }
}

/// The changes that make [`revocation`]`(grant_id, at, by, reason)`.
pub fn revoke(grant_id: &str, at: Time, by: &str, reason: &str) -> Changes {
    Changes {
        revocation: Some(revocation(grant_id, at, by, reason)),
        ..Changes::default()
    }
}

/// Inserts `r` as pending, with a `request.created` event.
pub async fn insert(store: &dyn Store, r: &Request) -> Result<Vec<AuditEvent>, StoreError> {
    store
        .commit(Changes {
            request: Some(RequestWrite::Insert(r.clone())),
            events: vec![request_event("request.created", r, r.created_at)],
            ..Changes::default()
        })
        .await
}

/// Inserts `r` already approved, with `grants` (activation recorded if started by `t0`).
pub async fn insert_with_grants(
    store: &dyn Store,
    r: &Request,
    grants: &[Grant],
) -> Result<(), StoreError> {
    store
        .commit(Changes {
            request: Some(RequestWrite::Insert(r.clone())),
            grants: grants
                .iter()
                .map(|g| NewGrant {
                    grant: g.clone(),
                    activation_recorded: g.starts_at <= r.created_at,
                })
                .collect(),
            events: vec![request_event("request.approved", r, r.created_at)],
            ..Changes::default()
        })
        .await?;
    Ok(())
}

/// Every event, paging through with `after`, checked by the chain verifier.
pub async fn verified_chain(
    store: &dyn Store,
) -> Result<Vec<AuditEvent>, Box<dyn Error + Send + Sync>> {
    let mut all = Vec::new();
    let mut verifier = Verifier::default();
    loop {
        let page = store
            .list_events(&AuditFilter {
                after: all.last().map(|e: &AuditEvent| e.seq),
                limit: Some(97),
                ..AuditFilter::default()
            })
            .await?;
        if page.is_empty() {
            break;
        }
        for e in &page {
            verifier
                .push(e)
                .map_err(|b| format!("chain breaks at seq {}: {}", b.seq, b.reason))?;
        }
        all.extend(page);
    }
    let head = store.audit_head().await?;
    assert_eq!(head, all.last().map(|e| (e.seq, e.hash.clone())));
    assert_eq!(verifier.events, all.len() as u64);
    Ok(all)
}

fn pairs(v: &[(i64, &str)]) -> Vec<(i64, String)> {
    v.iter()
        .map(|&(seq, kind)| (seq, kind.to_string()))
        .collect()
}

/// Checks that `result` is a [`StoreError::Conflict`] whose message passes `says`; an `Ok` is
/// an error saying what was `accepted`.
pub fn refused<T>(
    result: Result<T, StoreError>,
    accepted: &str,
    says: impl Fn(&str) -> bool,
) -> TestResult {
    let err = result.err().ok_or(accepted)?;
    assert!(matches!(&err, StoreError::Conflict(m) if says(m)), "{err}");
    Ok(())
}

fn is_conflict(r: &Result<Vec<AuditEvent>, StoreError>, needle: &str) -> bool {
    matches!(r, Err(StoreError::Conflict(m)) if m.contains(needle))
}

pub async fn commit_insert_reads_back_equal(store: Shared) -> TestResult {
    let mut r = request("alice", t0());
    r.start_at = Some(t0() + Span::minutes(5));
    r.break_glass = true;
    r.reason = None;
    let same_time = t0() + Span::seconds(10);
    let reviews = vec![
        review(&r, "carol", Verdict::Approve, t0() + Span::seconds(20)),
        review(&r, "bob", Verdict::Approve, same_time),
        review(&r, "dave", Verdict::Deny, same_time),
    ];
    let g = grant(&r, "orders-db-read", t0(), t0() + Span::hours(1));
    let anomaly = Anomaly {
        id: next_id("an"),
        at: t0(),
        rule: "break_glass".into(),
        severity: Severity::High,
        subject: "user:alice".into(),
        request_id: Some(r.id.clone()),
        grant_id: Some(g.id.clone()),
        summary: "`alice` used break-glass".into(),
    };
    let token = TokenRecord {
        expires_at: Some(t0() + Span::days(1)),
        ..token(
            &next_id("tok"),
            "alice",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "admin",
        )
    };
    let events = vec![
        request_event("request.created", &r, t0()),
        event("grant.activated", "wicket", t0())
            .grant(&g.id)
            .request(&r.id)
            .detail("role", "orders-db-read")
            .build(),
    ];
    let sealed = store
        .commit(Changes {
            request: Some(RequestWrite::Insert(r.clone())),
            reviews: reviews.clone(),
            grants: vec![activated(g.clone())],
            anomalies: vec![anomaly.clone()],
            tokens: vec![token.clone()],
            events: events.clone(),
            ..Changes::default()
        })
        .await?;

    let mut expected = r.clone();
    // By time, then in the order written.
    expected.reviews = vec![reviews[1].clone(), reviews[2].clone(), reviews[0].clone()];
    assert_eq!(store.get_request(&r.id).await?, Some(expected.clone()));
    let listed = store.list_requests(&RequestFilter::default()).await?;
    assert_eq!(listed, vec![expected]);
    assert_eq!(store.get_request("req_missing").await?, None);

    assert_eq!(store.get_grant(&g.id).await?, Some(g.clone()));
    assert_eq!(store.get_grant("gr_missing").await?, None);
    assert_eq!(store.find_token(&token.hash).await?, Some(token.clone()));
    assert_eq!(store.get_token(&token.id).await?, Some(token.clone()));
    assert_eq!(store.find_token("nope").await?, None);
    assert_eq!(
        store.list_anomalies(&AnomalyFilter::default()).await?,
        vec![anomaly]
    );

    assert_eq!(sealed.len(), 2);
    assert_eq!((sealed[0].seq, sealed[1].seq), (1, 2));
    assert_eq!(sealed[0].id, events[0].id);
    assert_eq!(sealed[1].details, events[1].details);
    assert_eq!(verified_chain(&*store).await?, sealed);

    // A later commit revokes the token; the first revocation time stands.
    let later = t0() + Span::minutes(1);
    store
        .commit(Changes {
            token_revocations: vec![
                (token.id.clone(), later),
                (token.id.clone(), later + Span::minutes(1)),
            ],
            ..Changes::default()
        })
        .await?;
    let revoked = store.get_token(&token.id).await?.ok_or("token vanished")?;
    assert_eq!(revoked.revoked_at, Some(later));
    Ok(())
}

pub async fn stale_update_is_a_conflict_and_writes_nothing(store: Shared) -> TestResult {
    let r = request("alice", t0());
    insert(&*store, &r).await?;
    let mut v2 = r.clone();
    v2.step = 1;
    v2.version = 2;
    store
        .commit(Changes {
            reviews: vec![review(&r, "bob", Verdict::Approve, t0())],
            events: vec![request_event("review.added", &r, t0())],
            ..update(v2.clone(), 1)
        })
        .await?;
    let head = store.audit_head().await?;
    let stored = store.get_request(&r.id).await?;

    // A second writer read version 1 too, and loses.
    let mut stale = r.clone();
    stale.state = RequestState::Cancelled;
    stale.version = 2;
    let g = grant(&r, "logs-read", t0(), t0() + Span::hours(1));
    let result = store
        .commit(Changes {
            reviews: vec![review(&r, "carol", Verdict::Approve, t0())],
            grants: vec![activated(g.clone())],
            events: vec![request_event("request.cancelled", &r, t0())],
            ..update(stale, 1)
        })
        .await;
    assert!(
        is_conflict(&result, &format!("request `{}` changed meanwhile", r.id)),
        "{result:?}"
    );
    assert_eq!(store.audit_head().await?, head);
    assert_eq!(store.get_request(&r.id).await?, stored);
    assert_eq!(store.get_grant(&g.id).await?, None);
    assert_eq!(stored.map(|s| (s.version, s.reviews.len())), Some((2, 1)));

    // An update of a request that does not exist is a conflict too.
    let ghost = request("alice", t0());
    let result = store.commit(update(ghost, 1)).await;
    assert!(is_conflict(&result, "changed meanwhile"), "{result:?}");
    Ok(())
}

pub async fn second_review_by_the_same_reviewer_is_a_conflict(store: Shared) -> TestResult {
    let r = request("alice", t0());
    insert(&*store, &r).await?;
    let mut v2 = r.clone();
    v2.version = 2;
    store
        .commit(Changes {
            reviews: vec![review(&r, "bob", Verdict::Approve, t0())],
            ..update(v2.clone(), 1)
        })
        .await?;
    let head = store.audit_head().await?;
    let mut v3 = v2.clone();
    v3.version = 3;
    let result = store
        .commit(Changes {
            reviews: vec![review(&r, "bob", Verdict::Deny, t0() + Span::seconds(1))],
            events: vec![request_event("review.added", &r, t0())],
            ..update(v3, 2)
        })
        .await;
    assert!(
        is_conflict(&result, "`bob` already reviewed this request"),
        "{result:?}"
    );
    // The request update in the same write set was rolled back with it.
    let stored = store.get_request(&r.id).await?.ok_or("request vanished")?;
    assert_eq!(stored.version, 2);
    assert_eq!(stored.reviews.len(), 1);
    assert_eq!(store.audit_head().await?, head);
    Ok(())
}

pub async fn second_revocation_is_a_conflict(store: Shared) -> TestResult {
    let r = request("alice", t0());
    let g = grant(&r, "orders-db-read", t0(), t0() + Span::hours(1));
    insert_with_grants(&*store, &r, std::slice::from_ref(&g)).await?;
    let revoke_by = |by: &str, at: Time| Changes {
        events: vec![event("grant.revoked", by, at).grant(&g.id).build()],
        ..revoke(&g.id, at, by, &format!("{by} says so"))
    };
    let first_at = t0() + Span::minutes(10);
    store.commit(revoke_by("security", first_at)).await?;
    let head = store.audit_head().await?;
    let result = store
        .commit(revoke_by("alice", first_at + Span::minutes(1)))
        .await;
    assert!(
        is_conflict(&result, &format!("grant `{}` is already revoked", g.id)),
        "{result:?}"
    );
    assert_eq!(store.audit_head().await?, head);
    let stored = stored_grant(&*store, &g.id).await?;
    assert_eq!(
        (
            stored.revoked_at,
            stored.revoked_by.as_deref(),
            stored.revoke_reason.as_deref()
        ),
        (Some(first_at), Some("security"), Some("security says so"))
    );

    let missing = store.commit(revoke("gr_missing", t0(), "x", "y")).await;
    assert!(
        is_conflict(&missing, "grant `gr_missing` does not exist"),
        "{missing:?}"
    );
    Ok(())
}

pub async fn an_extension_moves_the_end_it_read_only(store: Shared) -> TestResult {
    let r = request("alice", t0());
    let g = grant(&r, "orders-db-read", t0(), t0() + Span::hours(1));
    insert_with_grants(&*store, &r, std::slice::from_ref(&g)).await?;
    let extend = |from: Time, to: Time| {
        let mut after = g.clone();
        after.expires_at = to;
        Changes {
            extension: Some(Extension {
                grant: after,
                previous_expires_at: from,
            }),
            events: vec![event("grant.extended", "alice", t0()).grant(&g.id).build()],
            ..Changes::default()
        }
    };
    let end = g.expires_at;
    let later = end + Span::minutes(30);
    store.commit(extend(end, later)).await?;
    assert_eq!(stored_grant(&*store, &g.id).await?.expires_at, later);
    assert!(
        store
            .live_grants(later - Span::seconds(1))
            .await?
            .iter()
            .any(|x| x.id == g.id)
    );
    // Over an end that has moved meanwhile: a conflict, and nothing written.
    let head = store.audit_head().await?;
    let stale = store.commit(extend(end, later + Span::hours(1))).await;
    assert!(
        is_conflict(&stale, "revoked or changed meanwhile"),
        "{stale:?}"
    );
    assert_eq!(store.audit_head().await?, head);
    // Revoked: a conflict too.
    store
        .commit(revoke(&g.id, t0() + Span::minutes(5), "alice", "done"))
        .await?;
    let revoked = store.commit(extend(later, later + Span::hours(1))).await;
    assert!(
        is_conflict(&revoked, "revoked or changed meanwhile"),
        "{revoked:?}"
    );
    assert_eq!(stored_grant(&*store, &g.id).await?.expires_at, later);
    // The extension request's grant id reads back.
    let mut ext = request("alice", t0() + Span::minutes(1));
    ext.id = "req_extension".into();
    ext.extends = Some(g.id.clone());
    insert(&*store, &ext).await?;
    let back = store
        .get_request(&ext.id)
        .await?
        .ok_or("request vanished")?;
    assert_eq!(back.extends.as_deref(), Some(g.id.as_str()));
    Ok(())
}

pub async fn chain_verifies_after_many_commits(store: Shared) -> TestResult {
    let mut sealed = Vec::new();
    for i in 0..40i64 {
        let at = t0() + Span::milliseconds(i * 1_234 + 7);
        if i % 3 == 0 {
            let r = request("alice", at);
            sealed.extend(insert(&*store, &r).await?);
        } else {
            let events = (0..(i % 4))
                .map(|n| {
                    event("check.denied", "bob", at)
                        .action("db:delete")
                        .resource("postgres/prod/orders")
                        .decision("deny")
                        .detail("n", n)
                        .detail("note", "quotes \" and unicode ✓ survive")
                        .build()
                })
                .collect();
            sealed.extend(store.append_events(events).await?);
        }
    }
    assert_eq!(store.append_events(Vec::new()).await?, Vec::new());
    let chain = verified_chain(&*store).await?;
    assert_eq!(chain, sealed);
    Ok(())
}

pub async fn append_with_a_taken_id_is_a_conflict_and_writes_nothing(store: Shared) -> TestResult {
    let first = event("check.allowed", "bob", t0()).build();
    let taken = first.id.clone();
    let before = store.append_events(vec![first]).await?;
    // A batch whose third event reuses a stored id: the conflict names it, and the two
    // events before it in the batch are not written either.
    let batch = vec![
        event("check.denied", "bob", t0()).build(),
        event("check.denied", "bob", t0()).build(),
        EventBuilder::new(taken.clone(), t0(), "bob", EventKind::CheckDenied).build(),
    ];
    let result = store.append_events(batch).await;
    assert!(
        is_conflict(
            &result,
            &format!("an audit event with id `{taken}` already exists")
        ),
        "{result:?}"
    );
    assert_eq!(verified_chain(&*store).await?, before);
    // The store goes on appending after the failed batch.
    let after = store
        .append_events(vec![event("check.allowed", "bob", t0()).build()])
        .await?;
    assert_eq!(after[0].seq, before[0].seq + 1);
    Ok(())
}

pub async fn concurrent_appends_keep_one_gapless_chain(store: Shared) -> TestResult {
    const TASKS: usize = 8;
    const APPENDS: usize = 50;
    let mut tasks = Vec::new();
    for task in 0..TASKS {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mut batches = Vec::new();
            for i in 0..APPENDS {
                // Batches of one to three events, to see that each stays contiguous.
                let events = (0..1 + (task + i) % 3)
                    .map(|n| {
                        event("check.allowed", &format!("user{task}"), t0())
                            .detail("i", i)
                            .detail("n", n)
                            .build()
                    })
                    .collect();
                batches.push(store.append_events(events).await?);
            }
            Ok::<_, StoreError>(batches)
        }));
    }
    let mut expected = 0;
    for task in tasks {
        for batch in task.await?? {
            expected += batch.len();
            for pair in batch.windows(2) {
                assert_eq!(pair[1].seq, pair[0].seq + 1, "a batch was split");
            }
        }
    }
    let chain = verified_chain(&*store).await?;
    assert_eq!(chain.len(), expected);
    let seqs: Vec<i64> = chain.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, (1..=expected as i64).collect::<Vec<_>>());
    Ok(())
}

/// Writes abandoned mid-way (their futures dropped) leave all or nothing, and never a lock.
pub async fn dropped_writes_leave_nothing_half_done(store: Shared) -> TestResult {
    let mut attempted = Vec::new();
    for i in 0..30u64 {
        let r = request("alice", t0());
        attempted.push(r.clone());
        let write = insert(&*store, &r);
        if i == 0 {
            // Polled once and dropped: no store finishes a commit without waiting on I/O, so
            // this write is always cut short, whatever the machine's load.
            let _ = futures_util::FutureExt::now_or_never(write);
            continue;
        }
        let _ = tokio::time::timeout(std::time::Duration::from_micros(i * 50), write).await;
    }
    // The next write goes through at once: nothing is left holding the write lock.
    let started = std::time::Instant::now();
    let last = request("alice", t0());
    insert(&*store, &last).await?;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "waited {:?}",
        started.elapsed()
    );

    let chain = verified_chain(&*store).await?;
    let with_events: HashSet<&str> = chain
        .iter()
        .filter_map(|e| e.request_id.as_deref())
        .collect();
    let mut cut_short = 0;
    for r in &attempted {
        let stored = store.get_request(&r.id).await?.is_some();
        assert_eq!(
            stored,
            with_events.contains(r.id.as_str()),
            "request `{}` half written",
            r.id
        );
        cut_short += usize::from(!stored);
    }
    // The write polled only once never finishes.
    assert!(
        cut_short >= 1,
        "no write was cut short; the test tests nothing"
    );
    Ok(())
}

pub async fn expired_requests_are_recorded_once(store: Shared) -> TestResult {
    let now = t0() + Span::hours(1);
    let mut overdue = request("alice", t0());
    overdue.pending_until = now;
    let mut fresh = request("bob", t0());
    fresh.pending_until = now + Span::milliseconds(1);
    let mut decided = request("carol", t0());
    decided.pending_until = t0();
    decided.state = RequestState::Denied;
    for r in [&overdue, &fresh, &decided] {
        insert(&*store, r).await?;
    }
    store
        .commit(Changes {
            reviews: vec![review(&overdue, "bob", Verdict::Approve, t0())],
            ..Changes::default()
        })
        .await?;
    let head = store.audit_head().await?.map_or(0, |h| h.0);

    let expired = store.expire_requests(now, 100).await?;
    let mut expected = overdue.clone();
    expected.state = RequestState::Expired;
    expected.decided_at = Some(now);
    expected.version = overdue.version + 1;
    expected.reviews = vec![review(&overdue, "bob", Verdict::Approve, t0())];
    assert_eq!(expired, vec![expected.clone()]);
    assert_eq!(store.get_request(&overdue.id).await?, Some(expected));

    let events = store
        .list_events(&AuditFilter {
            after: Some(head),
            ..AuditFilter::default()
        })
        .await?;
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (e.kind.as_str(), e.actor.as_str(), e.at),
        ("request.expired", "wicket", now)
    );
    assert_eq!(e.subject.as_deref(), Some("user:alice"));
    assert_eq!(e.request_id.as_deref(), Some(overdue.id.as_str()));
    assert_eq!(
        e.details,
        r#"{"reason":"not decided within the request ttl"}"#
    );
    assert!(e.id.starts_with("ev_") && e.id.len() == 29, "{}", e.id);

    assert_eq!(store.expire_requests(now, 100).await?, Vec::new());
    assert_eq!(store.expire_requests(now, 0).await?, Vec::new());
    verified_chain(&*store).await?;
    Ok(())
}

pub async fn grant_activations_and_expiries_are_recorded_once(store: Shared) -> TestResult {
    let now = t0() + Span::hours(2);
    let r = request("alice", t0());
    let recorded = grant(&r, "a-recorded", t0(), now + Span::hours(1));
    let started = grant(&r, "b-started", t0() + Span::hours(1), now + Span::hours(1));
    let scheduled = grant(
        &r,
        "c-scheduled",
        now + Span::milliseconds(1),
        now + Span::hours(1),
    );
    let ended = grant(&r, "d-ended", t0(), now);
    let ended_too = grant(&r, "e-ended", t0(), now - Span::minutes(1));
    let mut revoked = grant(&r, "f-revoked", t0(), now - Span::minutes(1));
    revoked.revoked_at = Some(t0() + Span::minutes(1));
    revoked.revoked_by = Some("security".into());
    revoked.revoke_reason = Some("done".into());
    let all = [
        &recorded, &started, &scheduled, &ended, &ended_too, &revoked,
    ]
    .map(Clone::clone);
    insert_with_grants(&*store, &r, &all).await?;
    let head = store.audit_head().await?.map_or(0, |h| h.0);

    let activated = store.record_activations(now, 100).await?;
    assert_eq!(activated, vec![started.clone()]);
    assert_eq!(store.record_activations(now, 100).await?, Vec::new());

    // Two due; a limit of one records the longest overdue first.
    assert_eq!(
        store.record_expiries(now, 1).await?,
        vec![ended_too.clone()]
    );
    assert_eq!(store.record_expiries(now, 100).await?, vec![ended.clone()]);
    assert_eq!(store.record_expiries(now, 100).await?, Vec::new());

    let events = store
        .list_events(&AuditFilter {
            after: Some(head),
            ..AuditFilter::default()
        })
        .await?;
    let summary: Vec<(&str, Option<&str>)> = events
        .iter()
        .map(|e| (e.kind.as_str(), e.grant_id.as_deref()))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("grant.activated", Some(started.id.as_str())),
            ("grant.expired", Some(ended_too.id.as_str())),
            ("grant.expired", Some(ended.id.as_str())),
        ]
    );
    for e in &events {
        assert_eq!(
            (
                e.actor.as_str(),
                e.subject.as_deref(),
                e.request_id.as_deref()
            ),
            ("wicket", Some("user:alice"), Some(r.id.as_str()))
        );
    }
    assert_eq!(
        events[2].details,
        format!(
            r#"{{"expires_at":"{}","role":"d-ended","starts_at":"{}"}}"#,
            wicket_core::time::format(ended.expires_at),
            wicket_core::time::format(ended.starts_at)
        )
    );
    // The scheduled grant starts later, and is recorded then.
    assert_eq!(
        store
            .record_activations(now + Span::milliseconds(1), 100)
            .await?,
        vec![scheduled]
    );
    verified_chain(&*store).await?;
    Ok(())
}

pub async fn concurrent_sweeps_record_each_expiry_once(store: Shared) -> TestResult {
    let now = t0() + Span::hours(2);
    let r = request("alice", t0());
    let grants: Vec<Grant> = (0..40)
        .map(|i| grant(&r, &format!("role-{i}"), t0(), t0() + Span::minutes(i)))
        .collect();
    insert_with_grants(&*store, &r, &grants).await?;
    let mut sweepers = Vec::new();
    for _ in 0..4 {
        let store = store.clone();
        sweepers.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = store.record_expiries(now, 3).await?;
                if batch.is_empty() {
                    return Ok::<_, StoreError>(mine);
                }
                mine.extend(batch.into_iter().map(|g| g.id));
            }
        }));
    }
    let mut recorded = Vec::new();
    for s in sweepers {
        recorded.extend(s.await??);
    }
    recorded.sort();
    let mut expected: Vec<String> = grants.iter().map(|g| g.id.clone()).collect();
    expected.sort();
    assert_eq!(recorded, expected);
    let expiries = store
        .list_events(&AuditFilter {
            kind: Some("grant.expired".into()),
            ..AuditFilter::default()
        })
        .await?;
    assert_eq!(expiries.len(), grants.len());
    verified_chain(&*store).await?;
    Ok(())
}

pub async fn event_filters(store: Shared) -> TestResult {
    let r = request("alice", t0());
    let g = grant(&r, "orders-db-read", t0(), t0() + Span::hours(1));
    insert_with_grants(&*store, &r, std::slice::from_ref(&g)).await?;
    let kinds = [
        "request.created",
        "requests.decoy",
        "review.added",
        "request.denied",
        "grant.activated",
        "request",
        "check.denied",
    ];
    let events = kinds
        .iter()
        .enumerate()
        .map(|(i, kind)| {
            let b = event(kind, if i % 2 == 0 { "bob" } else { "carol" }, t0());
            let b = if kind.starts_with("grant") {
                b.grant(&g.id).request(&r.id)
            } else {
                b
            };
            b.build()
        })
        .collect();
    store.append_events(events).await?;
    let list = |f: AuditFilter| {
        let store = store.clone();
        async move {
            let events = store.list_events(&f).await?;
            Ok::<_, StoreError>(
                events
                    .into_iter()
                    .map(|e| (e.seq, e.kind))
                    .collect::<Vec<_>>(),
            )
        }
    };
    let kind = |k: &str| AuditFilter {
        kind: Some(k.into()),
        ..AuditFilter::default()
    };

    // seq 1 is the request.approved of the insert; the appended ones are 2..=8.
    assert_eq!(
        list(kind("request.*")).await?,
        pairs(&[
            (1, "request.approved"),
            (2, "request.created"),
            (5, "request.denied")
        ])
    );
    assert_eq!(list(kind("request")).await?, pairs(&[(7, "request")]));
    assert_eq!(
        list(kind("review.added")).await?,
        pairs(&[(4, "review.added")])
    );
    assert_eq!(list(kind("*")).await?.len(), 8);
    assert_eq!(list(kind("nothing.*")).await?, pairs(&[]));
    assert_eq!(
        list(AuditFilter {
            after: Some(5),
            limit: Some(2),
            ..AuditFilter::default()
        })
        .await?,
        pairs(&[(6, "grant.activated"), (7, "request")])
    );
    assert_eq!(
        list(AuditFilter {
            actor: Some("carol".into()),
            ..AuditFilter::default()
        })
        .await?,
        pairs(&[(3, "requests.decoy"), (5, "request.denied"), (7, "request")])
    );
    assert_eq!(
        list(AuditFilter {
            grant_id: Some(g.id.clone()),
            ..AuditFilter::default()
        })
        .await?,
        pairs(&[(6, "grant.activated")])
    );
    assert_eq!(
        list(AuditFilter {
            request_id: Some(r.id.clone()),
            kind: Some("grant.*".into()),
            ..AuditFilter::default()
        })
        .await?,
        pairs(&[(6, "grant.activated")])
    );
    // A limit below one still returns a page of one.
    assert_eq!(
        list(AuditFilter {
            limit: Some(0),
            ..AuditFilter::default()
        })
        .await?
        .len(),
        1
    );
    Ok(())
}

pub async fn request_grant_and_anomaly_filters(store: Shared) -> TestResult {
    let mut made = Vec::new();
    for (i, who) in ["alice", "bob", "alice", "carol"].iter().enumerate() {
        let r = request(who, t0() + Span::minutes(i as i64));
        insert(&*store, &r).await?;
        made.push(r);
    }
    let ids = |rs: Vec<Request>| rs.into_iter().map(|r| r.id).collect::<Vec<_>>();
    let all = store.list_requests(&RequestFilter::default()).await?;
    assert_eq!(
        ids(all),
        made.iter().rev().map(|r| r.id.clone()).collect::<Vec<_>>()
    );
    let alice = store
        .list_requests(&RequestFilter {
            requester: Some("alice".into()),
            ..RequestFilter::default()
        })
        .await?;
    assert_eq!(ids(alice), vec![made[2].id.clone(), made[0].id.clone()]);
    let newest = store
        .list_requests(&RequestFilter {
            limit: Some(1),
            ..RequestFilter::default()
        })
        .await?;
    assert_eq!(ids(newest), vec![made[3].id.clone()]);
    let mut cancelled = made[1].clone();
    cancelled.state = RequestState::Cancelled;
    cancelled.version = 2;
    store.commit(update(cancelled, 1)).await?;
    let only = store
        .list_requests(&RequestFilter {
            state: Some(RequestState::Cancelled),
            ..RequestFilter::default()
        })
        .await?;
    assert_eq!(ids(only), vec![made[1].id.clone()]);

    // Grants: newest (latest start) first; `live_at` drops revoked and ended ones.
    let now = t0() + Span::hours(1);
    let r = request("dave", t0());
    let old = grant(&r, "old", t0(), now);
    let live = grant(&r, "live", t0() + Span::minutes(1), now + Span::hours(1));
    let later = grant(&r, "later", now + Span::hours(1), now + Span::hours(2));
    let mut revoked = grant(&r, "revoked", t0() + Span::minutes(2), now + Span::hours(1));
    revoked.revoked_at = Some(t0() + Span::minutes(3));
    insert_with_grants(
        &*store,
        &r,
        &[old.clone(), live.clone(), later.clone(), revoked.clone()],
    )
    .await?;
    let other = request("erin", t0());
    let theirs = grant(&other, "live", t0(), now + Span::hours(1));
    insert_with_grants(&*store, &other, std::slice::from_ref(&theirs)).await?;
    let gids = |gs: Vec<Grant>| {
        gs.into_iter()
            .map(|g| g.role + "@" + &g.user)
            .collect::<Vec<_>>()
    };
    let dave = GrantFilter {
        user: Some("dave".into()),
        ..GrantFilter::default()
    };
    assert_eq!(
        gids(store.list_grants(&dave).await?),
        ["later@dave", "revoked@dave", "live@dave", "old@dave"]
    );
    let live_now = GrantFilter {
        live_at: Some(now),
        ..dave.clone()
    };
    assert_eq!(
        gids(store.list_grants(&live_now).await?),
        ["later@dave", "live@dave"]
    );
    // `revoked_live_at`: revoked before their end, which is still to come.
    let revoked_now = GrantFilter {
        revoked_live_at: Some(now),
        ..GrantFilter::default()
    };
    assert_eq!(
        gids(store.list_grants(&revoked_now).await?),
        ["revoked@dave"]
    );
    let revoked_later = GrantFilter {
        revoked_live_at: Some(now + Span::hours(1)),
        ..GrantFilter::default()
    };
    assert!(store.list_grants(&revoked_later).await?.is_empty());
    let by_request = GrantFilter {
        request_id: Some(other.id.clone()),
        ..GrantFilter::default()
    };
    assert_eq!(store.list_grants(&by_request).await?, vec![theirs.clone()]);
    let mut everyone_live = gids(store.live_grants(now).await?);
    everyone_live.sort();
    assert_eq!(everyone_live, ["later@dave", "live@dave", "live@erin"]);

    // Anomalies: newest first; filters by severity, subject and time.
    let anomaly = |minutes: i64, severity: Severity, subject: &str| Anomaly {
        id: next_id("an"),
        at: t0() + Span::minutes(minutes),
        rule: "off_hours".into(),
        severity,
        subject: subject.into(),
        request_id: None,
        grant_id: None,
        summary: "late".into(),
    };
    let list = [
        anomaly(0, Severity::Low, "user:a"),
        anomaly(1, Severity::High, "user:b"),
        anomaly(2, Severity::High, "user:a"),
    ];
    store
        .commit(Changes {
            anomalies: list.to_vec(),
            ..Changes::default()
        })
        .await?;
    let found = |f: AnomalyFilter| {
        let store = store.clone();
        async move {
            Ok::<_, StoreError>(
                store
                    .list_anomalies(&f)
                    .await?
                    .into_iter()
                    .map(|a| a.id)
                    .collect::<Vec<_>>(),
            )
        }
    };
    let [low_a, high_b, high_a] = [0, 1, 2].map(|i| list[i].id.as_str());
    assert_eq!(
        found(AnomalyFilter::default()).await?,
        [high_a, high_b, low_a]
    );
    assert_eq!(
        found(AnomalyFilter {
            severity: Some(Severity::High),
            ..AnomalyFilter::default()
        })
        .await?,
        [high_a, high_b]
    );
    assert_eq!(
        found(AnomalyFilter {
            subject: Some("user:a".into()),
            ..AnomalyFilter::default()
        })
        .await?,
        [high_a, low_a]
    );
    let since = AnomalyFilter {
        since: Some(t0() + Span::minutes(1)),
        limit: Some(1),
        ..AnomalyFilter::default()
    };
    assert_eq!(found(since).await?, [high_a]);
    Ok(())
}

pub async fn appends_from_two_handles_keep_one_chain(a: Shared, b: Shared) -> TestResult {
    let mut tasks = Vec::new();
    for (n, store) in [a.clone(), b.clone(), a.clone(), b].into_iter().enumerate() {
        tasks.push(tokio::spawn(async move {
            for i in 0..25 {
                let events = vec![
                    event("check.allowed", &format!("user{n}"), t0())
                        .detail("i", i)
                        .build(),
                ];
                store.append_events(events).await?;
            }
            Ok::<_, StoreError>(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    assert_eq!(verified_chain(&*a).await?.len(), 100);
    Ok(())
}

/// What [`write_sample`] wrote, to compare after reopening.
pub struct Sample {
    request: Request,
    grant: Grant,
    chain: Vec<AuditEvent>,
}

pub async fn write_sample(store: Shared) -> Result<Sample, Box<dyn Error + Send + Sync>> {
    let mut r = request("alice", t0());
    let g = grant(&r, "orders-db-read", t0(), t0() + Span::hours(1));
    insert_with_grants(&*store, &r, std::slice::from_ref(&g)).await?;
    let rv = review(&r, "bob", Verdict::Approve, t0());
    store
        .commit(Changes {
            reviews: vec![rv.clone()],
            ..Changes::default()
        })
        .await?;
    store
        .append_events(vec![
            event("policy.loaded", "wicket", t0())
                .detail("policies", 3)
                .build(),
        ])
        .await?;
    r.reviews.push(rv);
    let chain = verified_chain(&*store).await?;
    Ok(Sample {
        request: r,
        grant: g,
        chain,
    })
}

pub async fn check_sample(store: Shared, sample: &Sample) -> TestResult {
    assert_eq!(
        store.get_request(&sample.request.id).await?.as_ref(),
        Some(&sample.request)
    );
    assert_eq!(
        store.get_grant(&sample.grant.id).await?.as_ref(),
        Some(&sample.grant)
    );
    assert_eq!(verified_chain(&*store).await?, sample.chain);
    // The chain goes on from where it was.
    let next = store
        .append_events(vec![event("check.allowed", "bob", t0()).build()])
        .await?;
    let last = sample.chain.last().ok_or("empty sample chain")?;
    assert_eq!(
        (next[0].seq, next[0].prev_hash.as_str()),
        (last.seq + 1, last.hash.as_str())
    );
    verified_chain(&*store).await?;
    Ok(())
}

/// Many writers update one request from the same version at once (reviews racing on several
/// servers): exactly one wins, the others get a conflict and write nothing.
pub async fn concurrent_updates_of_one_version_let_one_win(store: Shared) -> TestResult {
    let r = request("alice", t0());
    insert(&*store, &r).await?;
    let mut racers = Vec::new();
    for n in 0..12 {
        let (store, r) = (store.clone(), r.clone());
        racers.push(tokio::spawn(async move {
            let reviewer = format!("approver{n}");
            let mut next = r.clone();
            next.state = RequestState::Approved;
            next.version = 2;
            let result = store
                .commit(Changes {
                    reviews: vec![review(&r, &reviewer, Verdict::Approve, t0())],
                    grants: vec![activated(grant(
                        &r,
                        "orders-db-read",
                        t0(),
                        t0() + Span::hours(1),
                    ))],
                    events: vec![
                        event("request.approved", &reviewer, t0())
                            .request(&r.id)
                            .build(),
                    ],
                    ..update(next, 1)
                })
                .await;
            (reviewer, result)
        }));
    }
    let mut winners = Vec::new();
    for racer in racers {
        let (reviewer, result) = racer.await?;
        match result {
            Ok(_) => winners.push(reviewer),
            Err(StoreError::Conflict(m)) => assert!(m.contains("changed meanwhile"), "{m}"),
            Err(e) => return Err(format!("`{reviewer}` failed: {e}").into()),
        }
    }
    assert_eq!(winners.len(), 1, "{winners:?}");
    let stored = store.get_request(&r.id).await?.ok_or("request vanished")?;
    assert_eq!((stored.version, stored.state), (2, RequestState::Approved));
    let reviewers: Vec<&str> = stored.reviews.iter().map(|v| v.reviewer.as_str()).collect();
    assert_eq!(reviewers, [winners[0].as_str()]);
    let grants = store
        .list_grants(&GrantFilter {
            request_id: Some(r.id.clone()),
            ..GrantFilter::default()
        })
        .await?;
    assert_eq!(grants.len(), 1);
    let approvals = verified_chain(&*store)
        .await?
        .into_iter()
        .filter(|e| e.kind == EventKind::RequestApproved)
        .count();
    assert_eq!(approvals, 1);
    Ok(())
}

/// Two handles on one database (two servers) sweep at once: each overdue request is expired
/// once and each ended grant's expiry recorded once.
pub async fn sweeps_from_two_handles_record_each_expiry_once(a: Shared, b: Shared) -> TestResult {
    let now = t0() + Span::hours(2);
    let mut r = request("alice", t0());
    r.state = RequestState::Approved;
    let grants: Vec<Grant> = (0..30)
        .map(|i| grant(&r, &format!("role-{i}"), t0(), t0() + Span::minutes(i)))
        .collect();
    insert_with_grants(&*a, &r, &grants).await?;
    let mut overdue = Vec::new();
    for i in 0..10 {
        let mut p = request(&format!("user{i}"), t0());
        p.pending_until = t0() + Span::minutes(i);
        insert(&*b, &p).await?;
        overdue.push(p.id);
    }
    let mut sweepers = Vec::new();
    for store in [a.clone(), b.clone(), a.clone(), b.clone()] {
        sweepers.push(tokio::spawn(async move {
            let (mut expired, mut recorded) = (Vec::new(), Vec::new());
            loop {
                let requests = store.expire_requests(now, 2).await?;
                let grants = store.record_expiries(now, 2).await?;
                if requests.is_empty() && grants.is_empty() {
                    return Ok::<_, StoreError>((expired, recorded));
                }
                expired.extend(requests.into_iter().map(|r| r.id));
                recorded.extend(grants.into_iter().map(|g| g.id));
            }
        }));
    }
    let (mut expired, mut recorded) = (Vec::new(), Vec::new());
    for s in sweepers {
        let (e, g) = s.await??;
        expired.extend(e);
        recorded.extend(g);
    }
    expired.sort();
    overdue.sort();
    assert_eq!(expired, overdue);
    recorded.sort();
    let mut expected: Vec<String> = grants.iter().map(|g| g.id.clone()).collect();
    expected.sort();
    assert_eq!(recorded, expected);
    let chain = verified_chain(&*b).await?;
    let count = |kind: &str| chain.iter().filter(|e| e.kind == kind).count();
    assert_eq!(count("grant.expired"), grants.len());
    assert_eq!(count("request.expired"), overdue.len());
    Ok(())
}

/// `since`/`until` select by time; `archive_events` moves the anchor and deletes through it in
/// one step, and refuses an anchor that is not as archived.
pub async fn time_filters_and_archiving(store: Shared) -> TestResult {
    let events = (0..6)
        .map(|i| event("check.denied", "bob", t0() + Span::minutes(i)).build())
        .collect();
    let sealed = store.append_events(events).await?;
    let seqs = |list: Vec<AuditEvent>| list.into_iter().map(|e| e.seq).collect::<Vec<_>>();
    let between = store
        .list_events(&AuditFilter {
            since: Some(t0() + Span::minutes(1)),
            until: Some(t0() + Span::minutes(3)),
            ..AuditFilter::default()
        })
        .await?;
    assert_eq!(seqs(between), [sealed[1].seq, sealed[2].seq]);
    assert_eq!(store.audit_anchor().await?, None);

    // A wrong hash for the anchor: nothing is written.
    let wrong = store
        .archive_events(
            (sealed[2].seq, "0".repeat(64)),
            event("audit.archived", "wicket", t0()).build(),
            t0(),
        )
        .await;
    assert!(matches!(wrong, Err(StoreError::Conflict(_))), "{wrong:?}");
    assert_eq!(store.list_events(&AuditFilter::default()).await?.len(), 6);

    let through = (sealed[2].seq, sealed[2].hash.clone());
    let archived = store
        .archive_events(
            through.clone(),
            event("audit.archived", "wicket", t0() + Span::minutes(9)).build(),
            t0() + Span::minutes(9),
        )
        .await?;
    assert_eq!(archived.seq, sealed[5].seq + 1);
    assert_eq!(archived.prev_hash, sealed[5].hash);
    assert_eq!(store.audit_anchor().await?, Some(through.clone()));
    let left = store.list_events(&AuditFilter::default()).await?;
    assert_eq!(
        seqs(left.clone()),
        [sealed[3].seq, sealed[4].seq, sealed[5].seq, archived.seq]
    );
    // What is left verifies from the anchor, and appends go on after it.
    let mut v = Verifier {
        last_seq: through.0,
        last_hash: through.1,
        events: 0,
    };
    for e in &left {
        v.push(e).map_err(|b| b.reason)?;
    }
    let next = store
        .append_events(vec![event("check.denied", "bob", t0()).build()])
        .await?;
    v.push(&next[0]).map_err(|b| b.reason)?;
    Ok(())
}

/// The first Slack message kept for a request stays; another request's is its own.
pub async fn a_requests_slack_message_is_kept_once(store: Shared) -> TestResult {
    let (r, other) = (request("alice", t0()), request("bob", t0()));
    insert(&*store, &r).await?;
    insert(&*store, &other).await?;
    let message = |id: &str, ts: &str| wicket_store::SlackMessage {
        request_id: id.into(),
        channel: "C0PROD".into(),
        ts: ts.into(),
        posted_at: t0(),
    };
    assert_eq!(store.slack_message(&r.id).await?, None);
    assert!(store.put_slack_message(message(&r.id, "1.000100")).await?);
    assert!(!store.put_slack_message(message(&r.id, "2.000200")).await?);
    assert!(
        store
            .put_slack_message(message(&other.id, "3.000300"))
            .await?
    );
    assert_eq!(
        store.slack_message(&r.id).await?,
        Some(message(&r.id, "1.000100"))
    );
    assert_eq!(
        store.slack_message(&other.id).await?.map(|m| m.ts),
        Some("3.000300".to_string())
    );
    Ok(())
}
