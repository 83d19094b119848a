//! `wicket check ACTION RESOURCE`: exit 0 when allowed, 1 when denied, with the roles to request.

use anyhow::Result;
use chrono::Utc;
use clap::Args;
use serde_json::{Value, json};

use crate::api::{Check, Items, Policy, Requestable, Role, decode};
use crate::args::Global;
use crate::client::Client;
use crate::commands::subject;
use crate::exit::Verdict;
use crate::output::{self, Format, outln, when};

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Like `db:select`
    pub action: String,
    /// Like `postgres/prod/orders`
    pub resource: String,
    /// Ask about someone else (`bob` or `user:bob`; needs `wicket:check.others`)
    #[arg(long)]
    pub subject: Option<String>,
    /// Record the check as an attempt, as a service enforcing with wicket does: an allowed
    /// check is a use of the grant, a denied one counts towards the monitor's bursts of
    /// denials. Without it the check is a question (a dry run), audited as such
    #[arg(long)]
    pub enforce: bool,
}

pub async fn run(global: &Global, args: CheckArgs) -> Result<Verdict> {
    let client = Client::new(global)?;
    let mut body = json!({ "action": args.action, "resource": args.resource });
    if !args.enforce {
        body["dry_run"] = Value::Bool(true);
    }
    if let Some(s) = &args.subject {
        body["subject"] = Value::String(subject(s));
    }
    let answer = client.post("/v1/check", &body).await?;
    let check: Check = decode(&answer, "check answer")?;
    if global.output == Format::Json {
        output::json(&answer)?;
        return Ok(Verdict::from_bool(check.allowed));
    }
    if check.allowed {
        outln!("allowed: {}", check.reason);
        if let Some(via) = &check.via {
            let mut line = format!("via role {}", via.role);
            if let Some(id) = &via.grant_id {
                line.push_str(&format!(", grant {id}"));
            }
            if let Some(at) = &via.expires_at {
                line.push_str(&format!(", expires {}", when::relative(at, Utc::now())));
            }
            outln!("{line}");
        }
        return Ok(Verdict::Yes);
    }
    outln!("denied: {}", check.reason);
    if let Some(g) = check
        .guardrail
        .as_ref()
        .filter(|g| !check.reason.contains(g.as_str()))
    {
        outln!("guardrail: {g}");
    }
    if check.requestable.is_empty() && check.guardrail.is_none() {
        // Best effort: a typo in the action is the likeliest reason nothing is requestable.
        if let Ok(v) = client.get("/v1/roles", &[]).await
            && let Ok(roles) = decode::<Items<Role>>(&v, "list of roles")
            && let Some(line) = unknown_action(&args.action, &roles.items)
        {
            outln!("{line}");
        }
    }
    if !check.requestable.is_empty() {
        // Best effort: the policies only make the suggestion more complete.
        let policies = match client.get("/v1/policies", &[]).await {
            Ok(v) => decode::<Items<Policy>>(&v, "list of policies")
                .map(|p| p.items)
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        outln!("to ask for access:");
        for r in &check.requestable {
            outln!("  {}", suggestion(r, &check.requestable, &policies));
        }
    }
    Ok(Verdict::No)
}

/// `no role grants `db:selct` on any resource; did you mean `db:select`?` when no role's
/// permissions name the action at all.
fn unknown_action(action: &str, roles: &[Role]) -> Option<String> {
    let parsed = wicket_core::Action::parse(action).ok()?;
    let patterns: Vec<&str> = roles
        .iter()
        .flat_map(|r| &r.permissions)
        .flat_map(|p| &p.actions)
        .map(String::as_str)
        .collect();
    let granted = patterns.iter().any(|p| {
        wicket_core::ActionPattern::parse(p).is_ok_and(|pattern| pattern.matches(&parsed))
    });
    if granted {
        return None;
    }
    let literal = patterns.iter().copied().filter(|p| !p.contains('*'));
    let hint = match wicket_core::suggest::closest(action, literal) {
        Some(near) => format!("; did you mean `{near}`?"),
        None => String::new(),
    };
    Some(format!("no role grants `{action}` on any resource{hint}"))
}

/// `wicket request create ROLE --reason "..."`, with `--ticket` and `--policy` when needed.
fn suggestion(r: &Requestable, all: &[Requestable], policies: &[Policy]) -> String {
    let policy = policies.iter().find(|p| p.name == r.policy);
    let mut line = format!("wicket request create {}", r.role);
    if policy.is_none_or(|p| p.require_reason) {
        line.push_str(" --reason \"...\"");
    }
    if policy.is_some_and(|p| p.ticket_pattern.is_some()) {
        line.push_str(" --ticket TICKET");
    }
    if all.iter().filter(|o| o.role == r.role).count() > 1 {
        line.push_str(&format!(" --policy {}", r.policy));
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Permission;

    #[test]
    fn an_action_no_role_grants_is_named_with_the_nearest_one() {
        let roles = [Role {
            permissions: vec![Permission {
                actions: vec!["db:select".into(), "logs:*".into()],
            }],
        }];
        assert_eq!(
            unknown_action("db:selct", &roles).as_deref(),
            Some("no role grants `db:selct` on any resource; did you mean `db:select`?")
        );
        assert_eq!(unknown_action("db:select", &roles), None);
        assert_eq!(unknown_action("logs:view", &roles), None);
        assert_eq!(
            unknown_action("ssh:login", &roles).as_deref(),
            Some("no role grants `ssh:login` on any resource")
        );
    }

    fn req(role: &str, policy: &str) -> Requestable {
        Requestable {
            role: role.into(),
            policy: policy.into(),
        }
    }

    #[test]
    fn suggestions_name_what_the_policy_needs() {
        let all = [
            req("db-read", "sre"),
            req("db-read", "oncall"),
            req("logs", "self"),
        ];
        let policies = [
            Policy {
                name: "sre".into(),
                require_reason: true,
                ticket_pattern: Some("INC-[0-9]+".into()),
            },
            Policy {
                name: "self".into(),
                require_reason: false,
                ticket_pattern: None,
            },
        ];
        assert_eq!(
            suggestion(&all[0], &all, &policies),
            "wicket request create db-read --reason \"...\" --ticket TICKET --policy sre"
        );
        assert_eq!(
            suggestion(&all[2], &all, &policies),
            "wicket request create logs"
        );
    }
}
