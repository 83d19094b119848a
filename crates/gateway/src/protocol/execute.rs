//! `Execute` (`E`): run a portal, returning at most `max_rows` rows (0: all).

use bytes::{BufMut, BytesMut};

use super::{ProtocolError, Reader, put_cstr, put_frame};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Execute {
    pub portal: String,
    pub max_rows: i32,
}

impl Execute {
    pub fn decode(body: &[u8]) -> Result<Execute, ProtocolError> {
        let mut r = Reader::new("Execute", body);
        let portal = r.cstr()?.to_string();
        let max_rows = r.i32()?;
        r.finish()?;
        Ok(Execute { portal, max_rows })
    }

    pub fn encode_as(&self, out: &mut BytesMut, portal: &str) {
        put_frame(out, b'E', |b| {
            put_cstr(b, portal);
            b.put_i32(self.max_rows);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let e = Execute {
            portal: String::new(),
            max_rows: 10,
        };
        let mut out = BytesMut::new();
        e.encode_as(&mut out, "");
        assert_eq!(Execute::decode(&out[5..]), Ok(e));
    }
}
