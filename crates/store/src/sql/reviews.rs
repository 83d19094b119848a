//! Access reviews' statements: campaigns with their items, suspended bindings, and applying a
//! [`ReviewWrite`].

use wicket_core::AuditEvent;
use wicket_core::review::{Campaign, ItemDecision, ItemKind, ReviewItem};

use super::{
    Columns, Conn, Statement, Value, Work, chain, change_one, conflict_if_unique,
    fetch_all_decoded, grants,
};
use crate::StoreError;
use crate::reviews::{ReviewWrite, Suspension};

const CAMPAIGN_COLUMNS: &str = "id, review, started_at, started_by, deadline, closed_at";
const ITEM_COLUMNS: &str = "id, campaign_id, kind, subject, role, grant_id, expires_at, \
                            reviewers, decision, decided_by, decided_at, comment";
const SUSPENSION_COLUMNS: &str = "subject, role, campaign_id, item_id, at, by_user";

/// Which campaigns a read returns.
pub(crate) enum Which<'a> {
    All,
    Open,
    One(&'a str),
    /// The newest of each review.
    Last,
}

/// Campaigns with their items, newest first.
pub(crate) async fn campaigns<C: Conn>(
    conn: &mut C,
    which: Which<'_>,
) -> Result<Vec<Campaign>, StoreError> {
    let mut st = Statement::select(C::DIALECT, CAMPAIGN_COLUMNS, "review_campaigns c WHERE ");
    match which {
        Which::All => st.push("true"),
        Which::Open => st.push("closed_at IS NULL"),
        Which::One(id) => st.push("id = ").bind(id),
        Which::Last => st.push(
            "started_at = (SELECT max(started_at) FROM review_campaigns l \
             WHERE l.review = c.review)",
        ),
    };
    st.push(" ORDER BY started_at DESC, id DESC");
    let mut out = fetch_all_decoded(&mut *conn, &st, decode_campaign).await?;
    for c in &mut out {
        let mut st = Statement::select(
            C::DIALECT,
            ITEM_COLUMNS,
            "review_items WHERE campaign_id = ",
        );
        st.bind(c.id.as_str()).push(" ORDER BY position");
        c.items = fetch_all_decoded(&mut *conn, &st, decode_item).await?;
    }
    Ok(out)
}

pub(crate) async fn suspensions<C: Conn>(conn: &mut C) -> Result<Vec<Suspension>, StoreError> {
    let st = Statement::select(
        C::DIALECT,
        SUSPENSION_COLUMNS,
        "binding_suspensions ORDER BY subject, role",
    );
    fetch_all_decoded(conn, &st, |row| {
        Ok(Suspension {
            subject: row.text(0)?,
            role: row.text(1)?,
            campaign_id: row.text(2)?,
            item_id: row.text(3)?,
            at: row.time(4)?,
            by: row.text(5)?,
        })
    })
    .await
}

fn decode_campaign(row: &impl Columns) -> Result<Campaign, StoreError> {
    Ok(Campaign {
        id: row.text(0)?,
        review: row.text(1)?,
        started_at: row.time(2)?,
        started_by: row.text(3)?,
        deadline: row.time(4)?,
        closed_at: row.opt_time(5)?,
        items: Vec::new(),
    })
}

fn decode_item(row: &impl Columns) -> Result<ReviewItem, StoreError> {
    let kind = row.text(2)?;
    let decision = row.text(8)?;
    Ok(ReviewItem {
        id: row.text(0)?,
        campaign_id: row.text(1)?,
        kind: ItemKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("review item kind `{kind}`")))?,
        subject: row.text(3)?,
        role: row.text(4)?,
        grant_id: row.opt_text(5)?,
        expires_at: row.opt_time(6)?,
        reviewers: row.list(7)?,
        decision: ItemDecision::parse(&decision)
            .ok_or_else(|| StoreError::Corrupt(format!("review item decision `{decision}`")))?,
        decided_by: row.opt_text(9)?,
        decided_at: row.opt_time(10)?,
        comment: row.opt_text(11)?,
    })
}

async fn insert_campaign<C: Conn>(conn: &mut C, c: &Campaign) -> Result<(), StoreError> {
    let mut st = Statement::insert_into(C::DIALECT, "review_campaigns", CAMPAIGN_COLUMNS);
    st.bind_row([
        c.id.as_str().into(),
        c.review.as_str().into(),
        Value::Time(c.started_at),
        c.started_by.as_str().into(),
        Value::Time(c.deadline),
        c.closed_at.into(),
    ]);
    conn.execute(&st).await.map_err(|e| {
        conflict_if_unique(e, || {
            format!("a campaign of review `{}` is still open", c.review)
        })
    })?;
    for (position, i) in c.items.iter().enumerate() {
        let mut st = Statement::new(
            C::DIALECT,
            format!("INSERT INTO review_items ({ITEM_COLUMNS}, position) VALUES "),
        );
        st.bind_row([
            i.id.as_str().into(),
            i.campaign_id.as_str().into(),
            i.kind.as_str().into(),
            i.subject.as_str().into(),
            i.role.as_str().into(),
            i.grant_id.as_deref().into(),
            i.expires_at.into(),
            Value::List(i.reviewers.iter().map(String::as_str).collect()),
            i.decision.as_str().into(),
            i.decided_by.as_deref().into(),
            i.decided_at.into(),
            i.comment.as_deref().into(),
            (position as i64).into(),
        ]);
        conn.execute(&st).await?;
    }
    Ok(())
}

/// Records a decision on an item still pending; one decided meanwhile is a conflict.
async fn decide<C: Conn>(conn: &mut C, i: &ReviewItem) -> Result<(), StoreError> {
    let mut st = Statement::new(C::DIALECT, "UPDATE review_items SET decision = ");
    st.bind(i.decision.as_str())
        .push(", decided_by = ")
        .bind(i.decided_by.as_deref())
        .push(", decided_at = ")
        .bind(i.decided_at)
        .push(", comment = ")
        .bind(i.comment.as_deref())
        .push(" WHERE id = ")
        .bind(i.id.as_str())
        .push(" AND decision = 'pending'");
    change_one(conn, &st, || {
        format!("review item `{}` is unknown or decided already", i.id)
    })
    .await
}

async fn close<C: Conn>(conn: &mut C, id: &str, at: wicket_core::Time) -> Result<(), StoreError> {
    let mut st = Statement::new(C::DIALECT, "UPDATE review_campaigns SET closed_at = ");
    st.bind(at)
        .push(" WHERE id = ")
        .bind(id)
        .push(" AND closed_at IS NULL");
    change_one(conn, &st, || {
        format!("campaign `{id}` is unknown or closed already")
    })
    .await
}

async fn suspend<C: Conn>(conn: &mut C, s: &Suspension) -> Result<(), StoreError> {
    let mut st = Statement::insert_into(C::DIALECT, "binding_suspensions", SUSPENSION_COLUMNS);
    st.bind_row([
        s.subject.as_str().into(),
        s.role.as_str().into(),
        s.campaign_id.as_str().into(),
        s.item_id.as_str().into(),
        Value::Time(s.at),
        s.by.as_str().into(),
    ])
    .push(" ON CONFLICT (subject, role) DO NOTHING");
    conn.execute(&st).await?;
    Ok(())
}

async fn lift<C: Conn>(conn: &mut C, subject: &str, role: &str) -> Result<(), StoreError> {
    let mut st = Statement::new(
        C::DIALECT,
        "DELETE FROM binding_suspensions WHERE subject = ",
    );
    st.bind(subject).push(" AND role = ").bind(role);
    conn.execute(&st).await?;
    Ok(())
}

impl Work for ReviewWrite {
    type Done = Vec<AuditEvent>;

    fn nothing_to_do(&self) -> Option<Vec<AuditEvent>> {
        let w = self;
        let empty = w.start.is_none()
            && w.decisions.is_empty()
            && w.close.is_none()
            && w.suspend.is_empty()
            && w.lift.is_empty()
            && w.revocations.is_empty()
            && w.events.is_empty();
        empty.then(Vec::new)
    }

    /// Rows first, the chain last.
    async fn run<C: Conn>(self, conn: &mut C) -> Result<Vec<AuditEvent>, StoreError> {
        let ReviewWrite {
            start,
            decisions,
            close: closing,
            suspend: suspensions,
            lift: lifted,
            revocations,
            events,
        } = self;
        if let Some(c) = &start {
            insert_campaign(&mut *conn, c).await?;
        }
        for i in &decisions {
            decide(&mut *conn, i).await?;
        }
        if let Some((id, at)) = &closing {
            close(&mut *conn, id, *at).await?;
        }
        for s in &suspensions {
            suspend(&mut *conn, s).await?;
        }
        for (subject, role) in &lifted {
            lift(&mut *conn, subject, role).await?;
        }
        for r in &revocations {
            grants::revoke(&mut *conn, r).await?;
        }
        chain::append(conn, events).await
    }
}
