//! Reading and writing the protocol's primitive fields: big-endian integers, NUL-terminated
//! strings, and a message's type-and-length frame.

use bytes::{BufMut, BytesMut};

use super::ProtocolError;

/// A cursor over one message body; every read checks that the bytes are there.
pub struct Reader<'a> {
    what: &'static str,
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    /// `what` names the message in errors.
    pub fn new(what: &'static str, buf: &'a [u8]) -> Reader<'a> {
        Reader { what, buf }
    }

    fn bad(&self, why: &'static str) -> ProtocolError {
        ProtocolError::Malformed {
            what: self.what,
            why,
        }
    }

    pub fn u8(&mut self) -> Result<u8, ProtocolError> {
        let (&b, rest) = self
            .buf
            .split_first()
            .ok_or_else(|| self.bad("truncated"))?;
        self.buf = rest;
        Ok(b)
    }

    pub fn i16(&mut self) -> Result<i16, ProtocolError> {
        let bytes = self.take(2)?;
        Ok(i16::from_be_bytes([bytes[0], bytes[1]]))
    }

    pub fn i32(&mut self) -> Result<i32, ProtocolError> {
        let bytes = self.take(4)?;
        Ok(i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    pub fn take(&mut self, n: usize) -> Result<&'a [u8], ProtocolError> {
        if self.buf.len() < n {
            return Err(self.bad("truncated"));
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    /// A NUL-terminated string, which must be UTF-8.
    pub fn cstr(&mut self) -> Result<&'a str, ProtocolError> {
        let bytes = self.cbytes()?;
        std::str::from_utf8(bytes).map_err(|_| self.bad("a string is not UTF-8"))
    }

    /// A NUL-terminated string as bytes, without the NUL.
    pub fn cbytes(&mut self) -> Result<&'a [u8], ProtocolError> {
        let end = self
            .buf
            .iter()
            .position(|&b| b == 0)
            .ok_or_else(|| self.bad("a string has no terminator"))?;
        let (s, rest) = self.buf.split_at(end);
        self.buf = &rest[1..];
        Ok(s)
    }

    /// Everything not read yet.
    pub fn rest(&mut self) -> &'a [u8] {
        std::mem::take(&mut self.buf)
    }

    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Fails unless the whole body was read, as PostgreSQL does.
    pub fn finish(&self) -> Result<(), ProtocolError> {
        if self.buf.is_empty() {
            Ok(())
        } else {
            Err(self.bad("trailing bytes"))
        }
    }
}

/// Appends `s` and its NUL terminator.
pub fn put_cstr(out: &mut BytesMut, s: &str) {
    out.put_slice(s.as_bytes());
    out.put_u8(0);
}

/// Appends a message: `tag`, the length, then the body `body` writes.
pub fn put_frame(out: &mut BytesMut, tag: u8, body: impl FnOnce(&mut BytesMut)) {
    out.put_u8(tag);
    let at = out.len();
    out.put_i32(0);
    body(out);
    let len = (out.len() - at) as i32;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
}
