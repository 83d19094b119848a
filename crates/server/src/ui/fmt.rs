//! Small pieces every page uses: times, countdowns, status badges, a step's approvers, and the
//! link from an API error code to the form field it concerns.

use axum::http::StatusCode;
use maud::{Markup, html};
use wicket_core::config::Step;
use wicket_core::{Time, time};

use crate::error::ApiError;

/// A step's approvers (`user:NAME`, `group:NAME`) joined by `sep`.
pub fn approvers(step: &Step, sep: &str) -> String {
    step.approvers
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(sep)
}

/// A time as people read it, machine-readable in `datetime`.
pub fn when(t: Time) -> Markup {
    html! { time datetime=(time::format(t)) { (t.format("%Y-%m-%d %H:%M:%S UTC")) } }
}

/// A message from the rules, its `backticked` names shown as code.
pub fn rich(message: &str) -> Markup {
    html! {
        @for (i, part) in message.split('`').enumerate() {
            @if i % 2 == 1 { code { (part) } } @else { (part) }
        }
    }
}

/// A countdown to `t`, kept live by `wicket.js`; without script it reads "until HH:MM:SS UTC".
pub fn countdown(t: Time) -> Markup {
    html! {
        span.countdown data-expires=(time::format(t)) role="timer" aria-live="off" {
            "until " (t.format("%H:%M:%S UTC"))
        }
    }
}

/// A status word as a coloured badge (`pending`, `active`, `expired`, ...).
pub fn badge(status: &str) -> Markup {
    html! { span class=(format!("badge {status}")) data-status { (status) } }
}

/// The form field an API error code is about; `None` puts the message at the top of the form.
pub fn field_for(code: &str) -> Option<&'static str> {
    Some(match code {
        "ticket_required" | "ticket_invalid" | "ticket_too_long" => "ticket",
        "reason_required" | "reason_too_long" => "reason",
        "invalid_duration" | "duration_exceeds_max" => "duration",
        "nothing_requested" | "too_many_roles" | "unknown_role" | "duplicate_role"
        | "role_not_offered" | "no_policy" | "unknown_policy" | "not_a_requester" => "roles",
        "invalid_action" | "unknown_action" => "action",
        "invalid_resource" | "denied_by_guardrail" | "nothing_requestable" => "resource",
        "invalid_start_at" | "start_at_in_past" | "start_at_too_far" => "start_at",
        "break_glass_not_allowed" => "break_glass",
        "comment_too_long" => "comment",
        "extension_exceeds_max" | "missing_by" => "by",
        _ => return None,
    })
}

/// An error from the rules, to be shown on form `form` (beside `field` when it has one).
#[derive(Clone, Debug)]
pub struct Problem {
    pub form: String,
    pub field: Option<&'static str>,
    pub message: String,
    pub status: StatusCode,
}

impl Problem {
    pub fn new(form: &str, e: ApiError) -> Problem {
        Problem {
            form: form.to_string(),
            field: field_for(&e.code),
            message: e.message,
            status: e.status,
        }
    }
}

/// The ids and error of one form field.
pub struct Slot {
    pub id: String,
    pub hint_id: String,
    pub error_id: String,
    pub error: Option<String>,
}

impl Slot {
    pub fn new(form: &str, name: &str, problem: Option<&Problem>) -> Slot {
        let id = format!("{form}-{name}");
        let error = problem
            .filter(|p| p.form == form && p.field == Some(name))
            .map(|p| p.message.clone());
        Slot {
            hint_id: format!("{id}-hint"),
            error_id: format!("{id}-error"),
            id,
            error,
        }
    }

    pub fn invalid(&self) -> Option<&'static str> {
        self.error.as_ref().map(|_| "true")
    }

    /// `aria-describedby`: the hint, and the error when there is one.
    pub fn described_by(&self, hint: bool) -> Option<String> {
        match (hint, &self.error) {
            (true, Some(_)) => Some(format!("{} {}", self.hint_id, self.error_id)),
            (true, None) => Some(self.hint_id.clone()),
            (false, Some(_)) => Some(self.error_id.clone()),
            (false, None) => None,
        }
    }

    /// The hint and the error message, placed right after the control.
    pub fn notes(&self, hint: Option<Markup>) -> Markup {
        html! {
            @if let Some(h) = hint { p.hint id=(self.hint_id) { (h) } }
            @if let Some(e) = &self.error { p.field-error id=(self.error_id) role="alert" { (rich(e)) } }
        }
    }
}

/// The message at the top of form `form`, for a problem none of its `fields` shows.
pub fn form_problem(form: &str, fields: &[&str], problem: Option<&Problem>) -> Markup {
    html! {
        @if let Some(p) = problem.filter(|p| p.form == form && p.field.is_none_or(|f| !fields.contains(&f))) {
            p.form-error role="alert" { (rich(&p.message)) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backticked_names_become_code_and_the_rest_is_escaped() {
        assert_eq!(
            rich("ticket `<x>` is bad").into_string(),
            "ticket <code>&lt;x&gt;</code> is bad"
        );
        assert_eq!(rich("no names").into_string(), "no names");
    }

    #[test]
    fn rule_errors_land_beside_their_field() {
        assert_eq!(field_for("ticket_invalid"), Some("ticket"));
        assert_eq!(field_for("ticket_required"), Some("ticket"));
        assert_eq!(field_for("reason_required"), Some("reason"));
        assert_eq!(field_for("duration_exceeds_max"), Some("duration"));
        assert_eq!(field_for("invalid_duration"), Some("duration"));
        assert_eq!(field_for("request_decided"), None);
    }

    #[test]
    fn a_problem_shows_on_its_field_or_atop_its_form() {
        let p = Problem {
            form: "p-prod".into(),
            field: Some("ticket"),
            message: "ticket `x` does not match".into(),
            status: StatusCode::UNPROCESSABLE_ENTITY,
        };
        let slot = Slot::new("p-prod", "ticket", Some(&p));
        assert_eq!(slot.error.as_deref(), Some("ticket `x` does not match"));
        assert_eq!(
            slot.described_by(true).as_deref(),
            Some("p-prod-ticket-hint p-prod-ticket-error")
        );
        assert!(Slot::new("p-other", "ticket", Some(&p)).error.is_none());
        assert!(
            form_problem("p-prod", &["ticket"], Some(&p))
                .into_string()
                .is_empty()
        );
        assert!(
            form_problem("p-prod", &["reason"], Some(&p))
                .into_string()
                .contains("does not match")
        );
    }
}
