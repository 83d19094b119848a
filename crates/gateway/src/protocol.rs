//! The PostgreSQL wire protocol (version 3) as data: one type per message the gateway reads
//! or writes, each decoded once, validated when decoded, and encoded back.
//!
//! Messages the gateway only relays are never decoded: they pass through as bytes.

pub mod auth;
pub mod backend;
pub mod bind;
mod buf;
pub mod close;
pub mod describe;
pub mod error_response;
pub mod execute;
pub mod parse;
pub mod query;
pub mod rows;
pub mod startup;

use bytes::{Buf, Bytes, BytesMut};

pub use buf::{Reader, put_cstr, put_frame};

/// PostgreSQL's own limit for a startup packet.
pub const MAX_STARTUP: usize = 10_000;
/// The largest message the gateway accepts from a client or a server.
pub const MAX_MESSAGE: usize = 64 << 20;

/// A malformed or unacceptable message.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ProtocolError {
    #[error("a message of {len} bytes is larger than the limit of {max} bytes")]
    TooLarge { len: usize, max: usize },
    #[error("invalid message length {0}")]
    BadLength(i64),
    #[error("malformed {what} message: {why}")]
    Malformed {
        what: &'static str,
        why: &'static str,
    },
    #[error("unexpected message type `{}` {during}", char::from(*tag))]
    Unexpected { tag: u8, during: &'static str },
}

/// One message after startup: its type byte and its body (without type and length).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub tag: u8,
    pub body: Bytes,
}

impl Frame {
    /// The whole message as it goes on the wire.
    pub fn encode(&self, out: &mut BytesMut) {
        put_frame(out, self.tag, |b| b.extend_from_slice(&self.body));
    }
}

/// The length of the first message in `buf` (type byte included), once its header is there.
pub fn frame_len(buf: &[u8], max: usize) -> Result<Option<usize>, ProtocolError> {
    if buf.len() < 5 {
        return Ok(None);
    }
    let len = i32::from_be_bytes([buf[1], buf[2], buf[3], buf[4]]);
    if len < 4 {
        return Err(ProtocolError::BadLength(len.into()));
    }
    let len = len as usize;
    if len > max {
        return Err(ProtocolError::TooLarge { len, max });
    }
    Ok(Some(len + 1))
}

/// Splits the first complete message off `buf`, if it holds one.
pub fn split_frame(buf: &mut BytesMut, max: usize) -> Result<Option<Frame>, ProtocolError> {
    match frame_len(buf, max)? {
        Some(total) if buf.len() >= total => {
            let mut whole = buf.split_to(total);
            let tag = whole[0];
            whole.advance(5);
            Ok(Some(Frame {
                tag,
                body: whole.freeze(),
            }))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_split_when_complete() {
        let mut out = BytesMut::new();
        put_frame(&mut out, b'Q', |b| put_cstr(b, "select 1"));
        let whole = out.clone();
        let mut partial = BytesMut::from(&whole[..7]);
        assert_eq!(split_frame(&mut partial, MAX_MESSAGE), Ok(None));
        let frame = split_frame(&mut out, MAX_MESSAGE).unwrap().unwrap();
        assert_eq!(frame.tag, b'Q');
        assert_eq!(&frame.body[..], b"select 1\0");
        assert!(out.is_empty());
        let mut again = BytesMut::new();
        frame.encode(&mut again);
        assert_eq!(again, whole);
    }

    #[test]
    fn lengths_are_checked() {
        let mut bad = BytesMut::from(&[b'Q', 0, 0, 0, 3][..]);
        assert_eq!(
            split_frame(&mut bad, MAX_MESSAGE),
            Err(ProtocolError::BadLength(3))
        );
        let mut huge = BytesMut::from(&[b'Q', 0x7f, 0, 0, 0][..]);
        assert!(matches!(
            split_frame(&mut huge, MAX_MESSAGE),
            Err(ProtocolError::TooLarge { .. })
        ));
    }
}
