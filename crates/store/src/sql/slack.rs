//! Slack messages of requests: kept once (the first message posted for a request stays the
//! one updated), read by request.

use super::{Columns, Conn, Statement, Value, Work, fetch_optional_decoded};
use crate::StoreError;
use crate::slack::SlackMessage;

const COLUMNS: &str = "request_id, channel, ts, posted_at";

/// Keeps a request's message; a request that has one already keeps the first.
pub(crate) struct PutMessage(pub(crate) SlackMessage);

impl Work for PutMessage {
    type Done = bool;

    async fn run<C: Conn>(self, conn: &mut C) -> Result<bool, StoreError> {
        let m = &self.0;
        let mut st = Statement::insert_into(C::DIALECT, "slack_messages", COLUMNS);
        st.bind_row([
            m.request_id.as_str().into(),
            m.channel.as_str().into(),
            m.ts.as_str().into(),
            Value::Time(m.posted_at),
        ]);
        st.push(" ON CONFLICT (request_id) DO NOTHING");
        Ok(conn.execute(&st).await? == 1)
    }
}

pub(crate) async fn get<C: Conn>(
    conn: &mut C,
    request_id: &str,
) -> Result<Option<SlackMessage>, StoreError> {
    let mut st = Statement::select(C::DIALECT, COLUMNS, "slack_messages WHERE request_id = ");
    st.bind(request_id);
    fetch_optional_decoded(conn, &st, |row| {
        Ok(SlackMessage {
            request_id: row.text(0)?,
            channel: row.text(1)?,
            ts: row.text(2)?,
            posted_at: row.time(3)?,
        })
    })
    .await
}
