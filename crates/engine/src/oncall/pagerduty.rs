//! PagerDuty REST API v2: `GET /oncalls` for the step's schedules and escalation levels, now.
//!
//! `Authorization: Token token=TOKEN` (a read-only REST API key suffices);
//! `Accept: application/vnd.pagerduty+json;version=2`. Without `since`/`until` the answer is
//! who is on call now; `include[]=users` puts each user's `email` in the answer.

use serde_json::Value;
use wicket_core::config::oncall::Provider;
use wicket_core::time;
use wicket_core::workflow::OnCallEvidence;

use super::{Ask, LookupError, answer};

/// Entries read at most (PagerDuty's page limit).
const LIMIT: &str = "100";

pub(super) async fn on_call(ask: &Ask<'_>) -> Result<Option<OnCallEvidence>, LookupError> {
    let mut query: Vec<(&str, String)> =
        vec![("include[]", "users".into()), ("limit", LIMIT.into())];
    query.extend(
        ask.step
            .schedules
            .iter()
            .map(|s| ("schedule_ids[]", s.clone())),
    );
    query.extend(
        ask.step
            .escalation_levels
            .iter()
            .map(|l| ("escalation_levels[]", l.to_string())),
    );
    let sent = ask
        .http
        .get(format!("{}/oncalls", ask.api.base_url))
        .header("Authorization", format!("Token token={}", ask.token))
        .header("Accept", "application/vnd.pagerduty+json;version=2")
        .query(&query)
        .send()
        .await;
    let body = answer(Provider::PagerDuty, sent).await?;
    let entries = body
        .get("oncalls")
        .and_then(Value::as_array)
        .ok_or_else(|| ask.malformed("no `oncalls` list"))?;
    for entry in entries {
        let user = entry
            .get("user")
            .ok_or_else(|| ask.malformed("an entry without `user`"))?;
        let Some(their) = user.get("email").and_then(Value::as_str) else {
            return Err(ask.malformed("a user without `email` (is `include[]=users` honoured?)"));
        };
        // An escalation policy may target a user directly: no schedule, not this step's.
        let Some(schedule) = entry
            .get("schedule")
            .and_then(|s| s.get("id"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        let level = entry
            .get("escalation_level")
            .and_then(Value::as_u64)
            .and_then(|l| u32::try_from(l).ok())
            .ok_or_else(|| ask.malformed("an entry without a numeric `escalation_level`"))?;
        if !their.eq_ignore_ascii_case(ask.email)
            || !ask.step.schedules.iter().any(|s| s == schedule)
            || !ask.step.escalation_levels.contains(&level)
        {
            continue;
        }
        let at = |key: &str| {
            entry
                .get(key)
                .and_then(Value::as_str)
                .and_then(|t| time::parse(t).ok())
        };
        return Ok(Some(OnCallEvidence {
            provider: Provider::PagerDuty,
            schedule: schedule.to_string(),
            step: 0,
            escalation_level: Some(level),
            shift_start: at("start"),
            shift_end: at("end"),
        }));
    }
    Ok(None)
}
