//! Reading whole messages off a stream, buffered, with a size limit.

use bytes::BytesMut;
use tokio::io::{AsyncRead, AsyncReadExt};

use crate::error::SessionError;
use crate::protocol::{Frame, split_frame};

pub struct FrameReader<R> {
    inner: R,
    buf: BytesMut,
    max: usize,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(inner: R, max: usize) -> FrameReader<R> {
        FrameReader {
            inner,
            buf: BytesMut::with_capacity(16 * 1024),
            max,
        }
    }

    /// The next message; `None` when the peer closed the connection between messages.
    pub async fn next(&mut self) -> Result<Option<Frame>, SessionError> {
        loop {
            if let Some(frame) = split_frame(&mut self.buf, self.max)? {
                return Ok(Some(frame));
            }
            if self.inner.read_buf(&mut self.buf).await? == 0 {
                return if self.buf.is_empty() {
                    Ok(None)
                } else {
                    Err(SessionError::Truncated)
                };
            }
        }
    }

    /// The stream and whatever was read past the last message.
    pub fn into_parts(self) -> (R, BytesMut) {
        (self.inner, self.buf)
    }

    pub fn parts_mut(&mut self) -> (&mut R, &mut BytesMut) {
        (&mut self.inner, &mut self.buf)
    }

    /// The next message if it is already buffered.
    pub fn buffered(&mut self) -> Result<Option<Frame>, SessionError> {
        Ok(split_frame(&mut self.buf, self.max)?)
    }
}
