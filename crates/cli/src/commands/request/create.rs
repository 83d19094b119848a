//! `wicket request create`, and with `--wait`, polling until the request is decided.

use std::time::Duration;

use anyhow::Result;
use clap::Args;
use serde_json::{Map, Value};
use tokio::time::{Instant, sleep};

use super::view;
use crate::api::{Request, decode};
use crate::args::Global;
use crate::client::{Client, segment};
use crate::exit::Verdict;
use crate::output::{self, Format, when};

const POLL: Duration = Duration::from_secs(1);

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The roles to ask for (or name an action and a resource instead)
    #[arg(value_name = "ROLE")]
    pub roles: Vec<String>,
    /// Instead of roles: the action you need, like `db:select`
    #[arg(long, requires = "resource", conflicts_with = "roles")]
    pub action: Option<String>,
    /// ... on this resource, like `postgres/prod/orders`
    #[arg(long, requires = "action", conflicts_with = "roles")]
    pub resource: Option<String>,
    /// How long, like `1h` (default: the policy's)
    #[arg(long, value_name = "DURATION")]
    pub duration: Option<String>,
    /// Why you need it
    #[arg(long)]
    pub reason: Option<String>,
    /// The incident or change ticket
    #[arg(long)]
    pub ticket: Option<String>,
    /// Start later, at this RFC 3339 time
    #[arg(long, value_name = "TIME")]
    pub start_at: Option<String>,
    /// The policy to ask under (default: the first that covers the roles)
    #[arg(long)]
    pub policy: Option<String>,
    /// Emergency access: approved at once, flagged for review after the fact
    #[arg(long)]
    pub break_glass: bool,
    /// Wait for the decision (exit 0 approved, 1 otherwise)
    #[arg(long)]
    pub wait: bool,
    /// How long to wait, like `10m`
    #[arg(long, default_value = "10m", value_name = "DURATION", value_parser = parse_timeout)]
    pub timeout: Duration,
}

fn parse_timeout(text: &str) -> Result<Duration, String> {
    let d = wicket_core::Duration::parse(text)?;
    Ok(Duration::from_secs(d.as_secs().unsigned_abs()))
}

impl CreateArgs {
    fn body(&self) -> Value {
        let mut body = Map::new();
        let mut put = |key: &str, value: Option<&String>| {
            if let Some(v) = value {
                body.insert(key.to_string(), Value::String(v.clone()));
            }
        };
        put("action", self.action.as_ref());
        put("resource", self.resource.as_ref());
        put("duration", self.duration.as_ref());
        put("reason", self.reason.as_ref());
        put("ticket", self.ticket.as_ref());
        put("start_at", self.start_at.as_ref());
        put("policy", self.policy.as_ref());
        if !self.roles.is_empty() {
            body.insert("roles".into(), self.roles.clone().into());
        }
        if self.break_glass {
            body.insert("break_glass".into(), Value::Bool(true));
        }
        Value::Object(body)
    }
}

pub async fn run(global: &Global, client: &Client, args: CreateArgs) -> Result<Verdict> {
    if args.roles.is_empty() && args.action.is_none() {
        anyhow::bail!(
            "name the roles to ask for (`wicket request create ROLE`), or the access you need (`wicket request create --action db:select --resource postgres/prod/orders`); `wicket check ACTION RESOURCE` names the roles that would allow it"
        );
    }
    let mut answer = client.post("/v1/requests", &args.body()).await?;
    let mut request: Request = decode(&answer, "request")?;
    if let Some(twin) = answer.get("duplicate_of").and_then(Value::as_str) {
        eprintln!(
            "warning: your request {twin} for the same roles is still pending; cancel the one you do not need with `wicket request cancel ID`"
        );
    }
    if !args.wait {
        show(global, &answer, &request)?;
        return Ok(Verdict::Yes);
    }
    if request.is_pending() {
        eprintln!(
            "request {} is pending; waiting up to {} for a decision",
            request.id,
            when::span(args.timeout.as_secs().try_into().unwrap_or(i64::MAX))
        );
    }
    let deadline = Instant::now() + args.timeout;
    let path = format!("/v1/requests/{}", segment(&request.id));
    while request.is_pending() && Instant::now() < deadline {
        sleep(POLL.min(deadline.saturating_duration_since(Instant::now()))).await;
        answer = client.get(&path, &[]).await?;
        request = decode(&answer, "request")?;
    }
    show(global, &answer, &request)?;
    if request.is_pending() {
        eprintln!(
            "timed out waiting for a decision; request {} is still pending (cancel it with `wicket request cancel {}`)",
            request.id, request.id
        );
    }
    Ok(Verdict::from_bool(request.state == "approved"))
}

fn show(global: &Global, answer: &Value, request: &Request) -> Result<()> {
    match global.output {
        Format::Json => output::json(answer)?,
        Format::Human => view::summary(request)?,
    }
    Ok(())
}
