//! `Bind` (`B`): a portal made from a prepared statement and parameter values.

use bytes::{BufMut, Bytes, BytesMut};

use super::{ProtocolError, Reader, put_cstr, put_frame};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bind {
    pub portal: String,
    pub statement: String,
    /// Formats, values and result formats, relayed as they came.
    pub rest: Bytes,
}

impl Bind {
    pub fn decode(body: &[u8]) -> Result<Bind, ProtocolError> {
        let mut r = Reader::new("Bind", body);
        let portal = r.cstr()?.to_string();
        let statement = r.cstr()?.to_string();
        Ok(Bind {
            portal,
            statement,
            rest: Bytes::copy_from_slice(r.rest()),
        })
    }

    /// Encodes with the upstream names of the portal and the statement.
    pub fn encode_as(&self, out: &mut BytesMut, portal: &str, statement: &str) {
        put_frame(out, b'B', |b| {
            put_cstr(b, portal);
            put_cstr(b, statement);
            b.put_slice(&self.rest);
        });
    }

    /// A `Bind` of a statement that does not exist: the server answers it with an error in
    /// its place in the stream, and skips to the next `Sync`.
    pub fn encode_missing(out: &mut BytesMut, statement: &str) {
        put_frame(out, b'B', |b| {
            put_cstr(b, "");
            put_cstr(b, statement);
            b.put_i16(0);
            b.put_i16(0);
            b.put_i16(0);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_under_other_names() {
        let b = Bind {
            portal: "p".into(),
            statement: "s".into(),
            rest: Bytes::from_static(&[0, 0, 0, 0, 0, 0]),
        };
        let mut out = BytesMut::new();
        b.encode_as(&mut out, "up", "us");
        let back = Bind::decode(&out[5..]).unwrap();
        assert_eq!(
            (back.portal.as_str(), back.statement.as_str(), &back.rest),
            ("up", "us", &b.rest)
        );
    }
}
