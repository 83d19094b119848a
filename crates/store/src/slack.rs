//! The Slack message posted for a request: where it is (`channel`, `ts`), so that whatever
//! decides the request can update it with the outcome.

use wicket_core::Time;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SlackMessage {
    pub request_id: String,
    pub channel: String,
    /// Slack's id of the message within its channel.
    pub ts: String,
    pub posted_at: Time,
}
