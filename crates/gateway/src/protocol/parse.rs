//! `Parse` (`P`): a statement name, its SQL and parameter types, in the extended protocol.

use bytes::{BufMut, Bytes, BytesMut};

use super::{ProtocolError, Reader, put_cstr, put_frame};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Parse {
    /// Empty for the unnamed statement.
    pub name: String,
    pub sql: String,
    /// The parameter type count and OIDs, relayed as they came.
    pub types: Bytes,
}

impl Parse {
    pub fn decode(body: &[u8]) -> Result<Parse, ProtocolError> {
        let mut r = Reader::new("Parse", body);
        let name = r.cstr()?.to_string();
        let sql = r.cstr()?.to_string();
        let types = Bytes::copy_from_slice(r.rest());
        let mut t = Reader::new("Parse", &types);
        let n = t.i16()?;
        if n < 0 {
            return Err(ProtocolError::Malformed {
                what: "Parse",
                why: "negative parameter count",
            });
        }
        t.take(4 * n as usize)?;
        t.finish()?;
        Ok(Parse { name, sql, types })
    }

    /// Encodes with the statement name `name` (the gateway renames statements upstream).
    pub fn encode_as(&self, out: &mut BytesMut, name: &str) {
        put_frame(out, b'P', |b| {
            put_cstr(b, name);
            put_cstr(b, &self.sql);
            b.put_slice(&self.types);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_under_another_name() {
        let p = Parse {
            name: "s1".into(),
            sql: "select $1".into(),
            types: Bytes::from_static(&[0, 1, 0, 0, 0, 23]),
        };
        let mut out = BytesMut::new();
        p.encode_as(&mut out, "w_1");
        let back = Parse::decode(&out[5..]).unwrap();
        assert_eq!(
            (back.name.as_str(), back.sql.as_str(), &back.types),
            ("w_1", "select $1", &p.types)
        );
        assert!(Parse::decode(b"s\0select 1\0\0\x02\0\0\0\x17").is_err());
    }
}
