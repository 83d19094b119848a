//! Approvals from Slack: a new request is posted with Approve and Deny buttons to its policy's
//! channel (`chat.postMessage`); a click comes back to `POST /slack/interactions`, is verified
//! (see [`verify`]), its Slack user mapped to a wicket user (`[slack] users`, else the e-mail
//! of `users.info`), and becomes a review by that user under every usual rule. The posted
//! message's channel and `ts` are kept in the store, and the message is updated with the
//! outcome (`chat.update`) however the request is decided (see [`outcome`]).

pub mod outcome;
pub mod verify;

use serde_json::{Value, json};
use wicket_core::config::PasswordSource;
use wicket_core::config::slack::SlackConfig;
use wicket_core::{Request, RequestState, Verdict};
use wicket_store::SlackMessage;

use crate::app::{App, now};
use crate::error::{EngineError, EngineResult};
use crate::ops;

pub use verify::Replays;

/// The `action_id`s of the two buttons.
pub const APPROVE: &str = "wicket.approve";
pub const DENY: &str = "wicket.deny";

/// The bot token or signing secret, `name` being its setting in `[slack]` less `_env`/`_file`.
fn secret(source: &PasswordSource, name: &str) -> EngineResult<String> {
    crate::secret::read_setting(source, &format!("slack.{name}")).map_err(EngineError::Setup)
}

/// Calls Web API `method` with the bot token: `body` as JSON (POST) or as a query (GET).
async fn call(
    slack: &SlackConfig,
    method: &str,
    body: Option<&Value>,
    query: &[(&str, &str)],
) -> EngineResult<Value> {
    let token = secret(&slack.bot_token, "bot_token")?;
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .map_err(|e| EngineError::Internal(e.to_string()))?;
    let url = format!("{}/{method}", slack.base_url);
    let req = match body {
        Some(b) => http.post(url).json(b),
        None => http.get(url).query(query),
    };
    let fail = |why: String| EngineError::Setup(format!("Slack `{method}` failed: {why}"));
    let resp = req
        .bearer_auth(token)
        .send()
        .await
        .map_err(|e| fail(e.to_string()))?;
    let answer: Value = resp.json().await.map_err(|e| fail(e.to_string()))?;
    if answer["ok"] != true {
        return Err(fail(
            answer["error"].as_str().unwrap_or("no `ok`").to_string(),
        ));
    }
    Ok(answer)
}

/// The message of `request`: what is asked, where it stands, and the buttons while it is
/// pending and the policy lets chat decide.
fn message(app: &App, request: &Request, outcome: Option<&str>) -> (String, Value) {
    let chat = app
        .config
        .policy(&request.policy)
        .is_some_and(|p| p.chat_approvals);
    let what = match &request.extends {
        Some(g) => format!(
            "to extend grant `{g}` of `{}` by {}",
            request.roles.join("`, `"),
            request.duration
        ),
        None => format!("`{}` for {}", request.roles.join("`, `"), request.duration),
    };
    let mut text = format!(
        "*{}* asks for {what} under policy `{}` (request `{}`)",
        request.requester, request.policy, request.id
    );
    if let Some(reason) = &request.reason {
        text.push_str(&format!("\nReason: {reason}"));
    }
    if let Some(o) = outcome {
        text.push_str(&format!("\n{o}"));
    }
    let mut blocks = vec![json!({"type": "section", "text": {"type": "mrkdwn", "text": text}})];
    if chat && request.state == RequestState::Pending {
        blocks.push(json!({
            "type": "actions",
            "block_id": format!("wicket.{}", request.id),
            "elements": [
                {"type": "button", "action_id": APPROVE, "style": "primary", "value": request.id,
                 "text": {"type": "plain_text", "text": "Approve"}},
                {"type": "button", "action_id": DENY, "style": "danger", "value": request.id,
                 "text": {"type": "plain_text", "text": "Deny"}},
            ]
        }));
    }
    (text, Value::Array(blocks))
}

/// Posts a new pending request to its policy's channel, if it has one; failures are logged.
pub async fn announce(app: &App, request: &Request) {
    let (Some(slack), Some(channel)) = (
        app.config.slack.as_ref(),
        app.config
            .policy(&request.policy)
            .and_then(|p| p.slack_channel.clone()),
    ) else {
        return;
    };
    if request.state != RequestState::Pending {
        return;
    }
    let (text, blocks) = message(app, request, None);
    let body = json!({"channel": channel, "text": text, "blocks": blocks});
    let posted = match call(slack, "chat.postMessage", Some(&body), &[]).await {
        Ok(posted) => posted,
        Err(e) => {
            tracing::warn!(request = %request.id, error = %e, "could not post the request to Slack");
            return;
        }
    };
    let (Some(channel), Some(ts)) = (posted["channel"].as_str(), posted["ts"].as_str()) else {
        tracing::warn!(request = %request.id, "Slack's answer to `chat.postMessage` names no `channel` and `ts`");
        return;
    };
    keep(app, &request.id, channel, ts).await;
    // Decided (or reviewed) while the message was on its way: its update found nothing to
    // update then, so it is made now.
    match app.store.get_request(&request.id).await {
        Ok(Some(current)) if current.version != request.version => {
            outcome::update(app, &current).await;
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(request = %request.id, error = %e, "could not read the request back")
        }
    }
}

/// Keeps where request `id`'s message is, unless it has one already; failures are logged.
async fn keep(app: &App, id: &str, channel: &str, ts: &str) {
    let message = SlackMessage {
        request_id: id.to_string(),
        channel: channel.to_string(),
        ts: ts.to_string(),
        posted_at: now(),
    };
    if let Err(e) = app.store.put_slack_message(message).await {
        tracing::warn!(request = %id, error = %e, "could not keep the request's Slack message");
    }
}

/// The wicket user of Slack user `id`: `[slack] users`, else their e-mail from `users.info`.
async fn user_of(app: &App, slack: &SlackConfig, id: &str) -> EngineResult<String> {
    let known = |name: &str| app.index().config().user(name).is_some();
    if let Some(name) = slack.users.get(id) {
        return Ok(name.clone());
    }
    let info = call(slack, "users.info", None, &[("user", id)])
        .await
        .map_err(|e| {
            EngineError::forbidden(
                "unknown_slack_user",
                format!("Slack user `{id}` could not be looked up: {e}"),
            )
        })?;
    let email = info["user"]["profile"]["email"]
        .as_str()
        .unwrap_or_default();
    let local = slack.email_domain.as_ref().and_then(|d| {
        let (name, domain) = email.rsplit_once('@')?;
        domain.eq_ignore_ascii_case(d).then(|| name.to_string())
    });
    for candidate in [Some(email.to_string()), local].into_iter().flatten() {
        if !candidate.is_empty() && known(&candidate) {
            return Ok(candidate);
        }
    }
    Err(EngineError::forbidden(
        "unknown_slack_user",
        format!(
            "Slack user `{id}` is not a wicket user (no `[slack] users` entry, and no user for e-mail `{email}`)"
        ),
    ))
}

/// What a verified click asks.
struct Click {
    user: String,
    verdict: Verdict,
    request: String,
    channel: Option<String>,
    ts: Option<String>,
}

fn click(body: &[u8]) -> EngineResult<Click> {
    let bad = |why: &str| {
        EngineError::Refused(wicket_core::WicketError::invalid(
            "invalid_payload",
            format!("not a Slack button click: {why}"),
        ))
    };
    let payload = form_urlencoded::parse(body)
        .find(|(k, _)| k == "payload")
        .map(|(_, v)| v.into_owned())
        .ok_or_else(|| bad("no `payload` field"))?;
    let p: Value = serde_json::from_str(&payload).map_err(|_| bad("`payload` is not JSON"))?;
    if p["type"] != "block_actions" {
        return Err(bad("not `block_actions`"));
    }
    let action = &p["actions"][0];
    let verdict = match action["action_id"].as_str() {
        Some(APPROVE) => Verdict::Approve,
        Some(DENY) => Verdict::Deny,
        _ => return Err(bad("an action wicket did not post")),
    };
    let text = |v: &Value| v.as_str().map(str::to_string);
    Ok(Click {
        user: text(&p["user"]["id"]).ok_or_else(|| bad("no `user.id`"))?,
        verdict,
        request: text(&action["value"]).ok_or_else(|| bad("no request id"))?,
        channel: text(&p["container"]["channel_id"]).or_else(|| text(&p["channel"]["id"])),
        ts: text(&p["container"]["message_ts"]).or_else(|| text(&p["message"]["ts"])),
    })
}

/// Handles one interaction: verified, mapped, reviewed. Returns the request as it stands
/// after the review.
pub async fn interaction(
    app: &App,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
) -> EngineResult<Request> {
    let Some(slack) = app.config.slack.as_ref() else {
        return Err(EngineError::not_found(
            "slack_off",
            "Slack approvals are not configured",
        ));
    };
    let signing = secret(&slack.signing_secret, "signing_secret")?;
    app.slack_replays.verify(
        &signing,
        timestamp,
        signature,
        body,
        chrono::Utc::now().timestamp(),
    )?;
    let c = click(body)?;
    let user = user_of(app, slack, &c.user).await?;
    let request = app.store.get_request(&c.request).await?.ok_or_else(|| {
        EngineError::not_found(
            "unknown_request",
            format!("unknown request `{}`", c.request),
        )
    })?;
    if app
        .config
        .policy(&request.policy)
        .is_some_and(|p| !p.chat_approvals)
    {
        return Err(EngineError::forbidden(
            "chat_approvals_off",
            format!(
                "policy `{}` does not take approvals from chat; review request `{}` in wicket",
                request.policy, request.id
            ),
        ));
    }
    // A message posted before its place was kept is updated from now on too.
    if let (Some(channel), Some(ts)) = (&c.channel, &c.ts) {
        keep(app, &request.id, channel, ts).await;
    }
    let comment = Some(format!("from Slack ({})", c.user));
    // The message is updated with the outcome as after any review (see [`outcome`]).
    ops::review_request(app, &user, &c.request, c.verdict, comment).await
}
