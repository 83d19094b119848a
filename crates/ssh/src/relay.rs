//! Upstream to client for one channel: output (recorded for session channels), stderr, end
//! of file, exit status and the answers to the client's requests, until the channel closes.

use std::sync::Arc;

use russh::server::Handle;
use russh::{ChannelId, ChannelMsg, ChannelReadHalf};

use crate::handler::Shared;

pub async fn relay(
    shared: Arc<Shared>,
    handle: Handle,
    id: ChannelId,
    mut upstream: ChannelReadHalf,
    record: bool,
) {
    while let Some(msg) = upstream.wait().await {
        match msg {
            ChannelMsg::Data { data } => {
                if record && shared.records(id) {
                    shared.record(false, &data);
                }
                if handle.data(id, data).await.is_err() {
                    break;
                }
            }
            ChannelMsg::ExtendedData { data, ext } => {
                if record && shared.records(id) {
                    shared.record(false, &data);
                }
                if handle.extended_data(id, ext, data).await.is_err() {
                    break;
                }
            }
            ChannelMsg::Eof => {
                let _ = handle.eof(id).await;
            }
            ChannelMsg::ExitStatus { exit_status } => {
                let _ = handle.exit_status_request(id, exit_status).await;
            }
            ChannelMsg::ExitSignal {
                signal_name,
                core_dumped,
                error_message,
                lang_tag,
            } => {
                let _ = handle
                    .exit_signal_request(id, signal_name, core_dumped, error_message, lang_tag)
                    .await;
            }
            ChannelMsg::Success => {
                let _ = handle.channel_success(id).await;
            }
            ChannelMsg::Failure => {
                let _ = handle.channel_failure(id).await;
            }
            ChannelMsg::Close => break,
            _ => {}
        }
    }
    let _ = handle.close(id).await;
    shared.forget(id);
}
