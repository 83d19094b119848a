//! `Query` (`Q`): one string of SQL, possibly several statements, in the simple protocol.

use bytes::BytesMut;

use super::{ProtocolError, Reader, put_cstr, put_frame};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    pub sql: String,
}

impl Query {
    pub fn decode(body: &[u8]) -> Result<Query, ProtocolError> {
        let mut r = Reader::new("Query", body);
        let sql = r.cstr()?.to_string();
        r.finish()?;
        Ok(Query { sql })
    }

    pub fn encode(&self, out: &mut BytesMut) {
        put_frame(out, b'Q', |b| put_cstr(b, &self.sql));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_trailing_bytes() {
        let q = Query {
            sql: "select 1; select 2".into(),
        };
        let mut out = BytesMut::new();
        q.encode(&mut out);
        assert_eq!(Query::decode(&out[5..]), Ok(q));
        assert!(Query::decode(b"select 1\0x").is_err());
        assert!(Query::decode(b"select 1").is_err());
        assert!(Query::decode(b"\xff\xfe\0").is_err());
    }
}
