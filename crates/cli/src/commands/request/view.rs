//! Requests for people: a table, a one-paragraph summary, the full record.

use anyhow::Result;
use chrono::Utc;

use crate::api::Request;
use crate::commands::grant::{expiry, revocation};
use crate::output::{Fields, Table, or_dash, outln, when};

/// `1/2`: the step now deciding (or the last one, once decided) of how many; `-` without steps.
pub fn step(r: &Request) -> String {
    if r.steps == 0 {
        return "-".to_string();
    }
    format!("{}/{}", r.step.clamp(1, r.steps), r.steps)
}

/// The roles asked for, or the action and resource they were picked for.
fn what(r: &Request) -> String {
    let roles = r.roles.join(",");
    match (&r.action, &r.resource) {
        (Some(a), Some(res)) if roles.is_empty() => format!("{a} on {res}"),
        _ => roles,
    }
}

pub fn table(requests: &[Request]) -> Result<()> {
    if requests.is_empty() {
        outln!("no requests");
        return Ok(());
    }
    let mut t = Table::new(&["ID", "STATE", "REQUESTER", "ROLES", "STEP", "CREATED"]);
    for r in requests {
        t.row(vec![
            r.id.clone(),
            r.state.clone(),
            r.requester.clone(),
            what(r),
            step(r),
            r.created_at.clone(),
        ]);
    }
    t.print()
}

/// Where the request stands, and its grants once approved.
pub fn summary(r: &Request) -> Result<()> {
    match r.state.as_str() {
        "pending" if r.steps > 0 => outln!(
            "request {} is pending: step {} awaits approval (policy {}, expires {})",
            r.id,
            step(r),
            r.policy,
            when::relative(&r.pending_until, Utc::now())
        ),
        "denied" => match r.reviews.iter().rev().find(|v| v.decision == "deny") {
            Some(v) => outln!(
                "request {} was denied by {}{}",
                r.id,
                v.reviewer,
                comment(&v.comment)
            ),
            None => outln!("request {} was denied", r.id),
        },
        "approved" | "pending" => outln!("request {} is {}", r.id, r.state),
        other => outln!("request {} was {other}", r.id),
    }
    let now = Utc::now();
    for g in &r.grants {
        outln!(
            "  grant {}: {} for {}, {}, {}",
            g.id,
            g.role,
            g.user,
            g.status,
            expiry(g, now)
        );
        if let Some(why) = revocation(g) {
            outln!("    {why}");
        }
    }
    Ok(())
}

/// `approve` → `approved`, `deny` → `denied`.
fn past(decision: &str) -> &str {
    match decision {
        "approve" => "approved",
        "deny" => "denied",
        other => other,
    }
}

fn comment(c: &Option<String>) -> String {
    match c.as_deref() {
        Some(c) if !c.is_empty() => format!(": {c}"),
        _ => String::new(),
    }
}

pub fn detail(r: &Request) -> Result<()> {
    let now = Utc::now();
    let reviews = r
        .reviews
        .iter()
        .map(|v| {
            format!(
                "step {}: {} by {} at {}{}",
                v.step,
                past(&v.decision),
                v.reviewer,
                v.at,
                comment(&v.comment)
            )
        })
        .collect();
    let grants = r
        .grants
        .iter()
        .flat_map(|g| {
            let mut lines = vec![format!(
                "{}  {}  {}  {}",
                g.id,
                g.role,
                g.status,
                expiry(g, now)
            )];
            lines.extend(revocation(g).map(|why| format!("  {why}")));
            lines
        })
        .collect();
    let mut f = Fields::default();
    f.one("id", r.id.clone())
        .one("state", r.state.clone())
        .one("step", step(r))
        .one("requester", r.requester.clone())
        .one("roles", or_dash(Some(&r.roles.join(", "))));
    if r.action.is_some() || r.resource.is_some() {
        f.one(
            "asked for",
            format!(
                "{} on {}",
                or_dash(r.action.as_deref()),
                or_dash(r.resource.as_deref())
            ),
        );
    }
    f.one("policy", r.policy.clone())
        .one("duration", r.duration.clone())
        .one("reason", or_dash(r.reason.as_deref()))
        .one("ticket", or_dash(r.ticket.as_deref()))
        .one(
            "start at",
            r.start_at.clone().unwrap_or_else(|| "at approval".into()),
        );
    if r.break_glass {
        f.one("break glass", "yes");
    }
    f.one("created", r.created_at.clone());
    if r.is_pending() {
        f.one("pending until", r.pending_until.clone());
    }
    f.one("decided", or_dash(r.decided_at.as_deref()))
        .many("reviews", reviews)
        .many("grants", grants)
        .print()
}
