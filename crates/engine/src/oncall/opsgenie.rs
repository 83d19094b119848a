//! Opsgenie: `GET /v2/schedules/{id}/on-calls?scheduleIdentifierType=id&flat=true` for each of
//! the step's schedules, now.
//!
//! `Authorization: GenieKey TOKEN` (an API integration key with read access, or a user API key
//! with Read and Configuration access). `flat=true` answers `data.onCallRecipients` as a list
//! of user names, which are e-mail addresses in Opsgenie.

use serde_json::Value;
use wicket_core::config::oncall::Provider;
use wicket_core::workflow::OnCallEvidence;

use super::{Ask, LookupError, answer};

pub(super) async fn on_call(ask: &Ask<'_>) -> Result<Option<OnCallEvidence>, LookupError> {
    for schedule in &ask.step.schedules {
        let segment: String = form_urlencoded::byte_serialize(schedule.as_bytes()).collect();
        let sent = ask
            .http
            .get(format!(
                "{}/v2/schedules/{segment}/on-calls",
                ask.api.base_url
            ))
            .header("Authorization", format!("GenieKey {}", ask.token))
            .query(&[("scheduleIdentifierType", "id"), ("flat", "true")])
            .send()
            .await;
        let body = answer(Provider::Opsgenie, sent).await?;
        let recipients = body
            .get("data")
            .and_then(|d| d.get("onCallRecipients"))
            .and_then(Value::as_array)
            .ok_or_else(|| ask.malformed("no `data.onCallRecipients` list"))?;
        let mut on_call = false;
        for r in recipients {
            let name = r
                .as_str()
                .ok_or_else(|| ask.malformed("a recipient that is not a user name"))?;
            on_call |= name.eq_ignore_ascii_case(ask.email);
        }
        if on_call {
            return Ok(Some(OnCallEvidence {
                provider: Provider::Opsgenie,
                schedule: schedule.clone(),
                step: 0,
                escalation_level: None,
                shift_start: None,
                shift_end: None,
            }));
        }
    }
    Ok(None)
}
