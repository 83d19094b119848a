//! The request forms of "my access": one per policy the viewer may request under (only its
//! roles, durations up to its maximum, its reason and ticket rules shown), and one that asks
//! for an action on a resource and lets wicket pick the smallest role.

use maud::{Markup, html};
use wicket_core::Duration;
use wicket_core::config::Policy;

use super::extract::FormData;
use super::fmt::{Problem, Slot, approvers, form_problem};
use super::layout::csrf_field;
use wicket_engine::app::App;

/// Durations offered besides the policy's default and maximum.
const PRESETS: [i64; 11] = [
    300, 900, 1800, 3600, 7200, 14_400, 28_800, 43_200, 86_400, 259_200, 604_800,
];

/// The form id of a policy's request form.
pub fn form_id(policy: &str) -> String {
    format!("p-{policy}")
}

/// The durations a policy allows, shortest first: its default, its maximum, and the usual
/// steps in between. Nothing above the maximum is offered.
pub fn duration_choices(default: Duration, max: Duration) -> Vec<Duration> {
    let mut out: Vec<Duration> = PRESETS
        .iter()
        .filter_map(|s| Duration::from_secs(*s))
        .filter(|d| *d <= max)
        .collect();
    out.push(default);
    out.push(max);
    out.sort();
    out.dedup();
    out
}

fn approvals(p: &Policy) -> String {
    if p.steps.is_empty() {
        return "approved at once, no approval steps".into();
    }
    let steps: Vec<String> = p.steps.iter().map(|s| approvers(s, " or ")).collect();
    format!("approval by {}", steps.join(", then "))
}

/// Whether a form's reason is needed: by its policy, or (a form that picks its policy) by
/// every, none, or some of the policies it may pick.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    Required,
    Optional,
    Depends,
}

impl Need {
    /// What `policies` (those the form may pick from) ask of the reason.
    pub fn of<'p>(mut policies: impl Iterator<Item = &'p Policy> + Clone) -> Need {
        if policies.clone().all(|p| p.require_reason) {
            Need::Required
        } else if policies.any(|p| p.require_reason) {
            Need::Depends
        } else {
            Need::Optional
        }
    }
}

/// What the form held in field `k` when it was sent (empty when it was not).
fn sent(values: Option<&FormData>, k: &str) -> String {
    values
        .and_then(|v| v.get(k))
        .unwrap_or_default()
        .to_string()
}

/// Reason and ticket fields, shared by both kinds of form.
fn reason_and_ticket(
    form: &str,
    values: Option<&FormData>,
    problem: Option<&Problem>,
    reason_need: Need,
    pattern: Option<&str>,
) -> Markup {
    let reason_required = reason_need == Need::Required;
    let reason = Slot::new(form, "reason", problem);
    let ticket = Slot::new(form, "ticket", problem);
    let value = |k: &str| sent(values, k);
    html! {
        label for=(reason.id) { "Reason" " " @match reason_need {
            Need::Required => { span.req { "(required)" } }
            Need::Optional => { span.opt { "(optional)" } }
            Need::Depends => { span.req { "(required by most policies)" } }
        } }
        textarea #(reason.id) name="reason" rows="2" required[reason_required] aria-invalid=[reason.invalid()]
            aria-describedby=[reason.described_by(false)] { (value("reason")) }
        (reason.notes(None))
        label for=(ticket.id) { "Ticket" @if pattern.is_some() { " " span.req { "(required)" } } @else { " " span.opt { "(optional)" } } }
        input #(ticket.id) type="text" name="ticket" value=(value("ticket")) required[pattern.is_some()] autocomplete="off"
            aria-invalid=[ticket.invalid()] aria-describedby=[ticket.described_by(true)];
        (ticket.notes(Some(match pattern {
            Some(p) => html! { "Must match " code.pattern { (p) } },
            None => html! { "If the policy that applies requires one, it says which pattern." },
        })))
    }
}

/// The request form of policy `p`; `values` refill it after a rejection.
pub fn policy_form(
    p: &Policy,
    app: &App,
    csrf: &str,
    values: Option<&FormData>,
    problem: Option<&Problem>,
) -> Markup {
    let form = form_id(&p.name);
    let roles = Slot::new(&form, "roles", problem);
    let duration = Slot::new(&form, "duration", problem);
    let glass = Slot::new(&form, "break_glass", problem);
    let chosen_roles = values.map(|v| v.all("roles"));
    let chosen_duration = values
        .and_then(|v| v.text("duration"))
        .unwrap_or_else(|| p.default_duration.to_string());
    let only_one = p.roles.len() == 1;
    html! {
        form.card.request-form #(form) method="post" action="/requests" novalidate {
            h3 { "Policy " code { (p.name) } }
            p.hint { "Up to " strong { (p.max_duration) } "; " (approvals(p)) "." }
            (csrf_field(csrf))
            input type="hidden" name="policy" value=(p.name);
            (form_problem(&form, &["roles", "duration", "reason", "ticket", "break_glass"], problem))
            fieldset aria-invalid=[roles.invalid()] aria-describedby=[roles.described_by(false)] {
                legend { "Roles" }
                @for (i, r) in p.roles.iter().enumerate() {
                    @let id = format!("{form}-role-{i}");
                    @let checked = chosen_roles.as_ref().map_or(only_one, |c| c.contains(r));
                    div.check {
                        input #(id) type="checkbox" name="roles" value=(r) checked[checked];
                        label for=(id) {
                            code { (r) }
                            @if let Some(d) = app.config.role(r).and_then(|x| x.description.as_deref()) { " — " (d) }
                        }
                    }
                }
                (roles.notes(None))
            }
            label for=(duration.id) { "Duration" }
            select #(duration.id) name="duration" aria-invalid=[duration.invalid()] aria-describedby=[duration.described_by(true)] {
                @for d in duration_choices(p.default_duration, p.max_duration) {
                    @let text = d.to_string();
                    option value=(text) selected[text == chosen_duration] {
                        (text) @if d == p.default_duration { " (default)" } @if d == p.max_duration { " (maximum)" }
                    }
                }
            }
            (duration.notes(Some(html! { "At most " (p.max_duration) ". The clock starts at approval." })))
            (reason_and_ticket(&form, values, problem, if p.require_reason { Need::Required } else { Need::Optional }, p.ticket_pattern_text.as_deref()))
            @if p.break_glass {
                div.check {
                    input #(glass.id) type="checkbox" name="break_glass" value="1" aria-describedby=(glass.hint_id);
                    label for=(glass.id) { "Break glass" }
                }
                (glass.notes(Some(html! { "Emergency only: approved at once for the duration, flagged " strong { "high" } " and reviewed after the fact." })))
            }
            button.primary type="submit" { "Request access" }
        }
    }
}

/// "I need this action on this resource": wicket picks the smallest role and its policy.
pub fn action_form(
    csrf: &str,
    values: Option<&FormData>,
    problem: Option<&Problem>,
    reason: Need,
) -> Markup {
    let form = "action";
    let action = Slot::new(form, "action", problem);
    let resource = Slot::new(form, "resource", problem);
    let duration = Slot::new(form, "duration", problem);
    let value = |k: &str| sent(values, k);
    html! {
        form.card.request-form #action method="post" action="/requests" novalidate {
            h3 { "An action on a resource" }
            p.hint { "Name what you need to do; wicket picks the smallest role you may request that allows it, and its policy." }
            (csrf_field(csrf))
            input type="hidden" name="kind" value="action";
            (form_problem(form, &["action", "resource", "duration", "reason", "ticket"], problem))
            label for=(action.id) { "Action" }
            input #(action.id) type="text" name="action" value=(value("action")) placeholder="db:select" required autocomplete="off"
                aria-invalid=[action.invalid()] aria-describedby=[action.described_by(false)];
            (action.notes(None))
            label for=(resource.id) { "Resource" }
            input #(resource.id) type="text" name="resource" value=(value("resource")) placeholder="postgres/prod/orders/public/orders"
                required autocomplete="off" aria-invalid=[resource.invalid()] aria-describedby=[resource.described_by(false)];
            (resource.notes(None))
            label for=(duration.id) { "Duration " span.opt { "(optional)" } }
            input #(duration.id) type="text" name="duration" value=(value("duration")) placeholder="1h" autocomplete="off"
                aria-invalid=[duration.invalid()] aria-describedby=[duration.described_by(true)];
            (duration.notes(Some(html! { "Like " code { "30m" } " or " code { "2h" } "; empty takes the policy's default." })))
            (reason_and_ticket(form, values, problem, reason, None))
            button.primary type="submit" { "Request access" }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Duration {
        Duration::parse(s).unwrap_or(Duration::MIN)
    }

    #[test]
    fn durations_offered_never_exceed_the_maximum() {
        let c = duration_choices(d("1h"), d("4h"));
        assert_eq!(c.first(), Some(&d("5m")));
        assert_eq!(c.last(), Some(&d("4h")));
        assert!(c.contains(&d("1h")));
        let short = duration_choices(d("2s"), d("30s"));
        assert_eq!(short, vec![d("2s"), d("30s")]);
    }
}
