//! Opsgenie: `GET /v2/schedules/{id}/on-calls?scheduleIdentifierType=id&flat=true` for each of
//! the step's schedules, now.
//!
//! `Authorization: GenieKey TOKEN` (an API integration key with read access, or a user API key
//! with Read and Configuration access). `flat=true` answers `data.onCallRecipients` as a list
//! of user names, which are e-mail addresses in Opsgenie.

use serde_json::Value;
use wicket_core::config::oncall::{OnCallStep, Provider, ProviderApi};
use wicket_core::workflow::OnCallEvidence;

use super::{LookupError, answer};

fn malformed(reason: impl Into<String>) -> LookupError {
    LookupError::Malformed {
        provider: "opsgenie",
        reason: reason.into(),
    }
}

pub(super) async fn on_call(
    http: &reqwest::Client,
    api: &ProviderApi,
    token: &str,
    step: &OnCallStep,
    email: &str,
) -> Result<Option<OnCallEvidence>, LookupError> {
    for schedule in &step.schedules {
        let segment: String = form_urlencoded::byte_serialize(schedule.as_bytes()).collect();
        let sent = http
            .get(format!("{}/v2/schedules/{segment}/on-calls", api.base_url))
            .header("Authorization", format!("GenieKey {token}"))
            .query(&[("scheduleIdentifierType", "id"), ("flat", "true")])
            .send()
            .await;
        let body = answer(Provider::Opsgenie, sent).await?;
        let recipients = body
            .get("data")
            .and_then(|d| d.get("onCallRecipients"))
            .and_then(Value::as_array)
            .ok_or_else(|| malformed("no `data.onCallRecipients` list"))?;
        let mut on_call = false;
        for r in recipients {
            let name = r
                .as_str()
                .ok_or_else(|| malformed("a recipient that is not a user name"))?;
            on_call |= name.eq_ignore_ascii_case(email);
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
