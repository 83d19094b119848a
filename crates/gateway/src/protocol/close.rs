//! `Close` (`C`): drop a prepared statement (`S`) or a portal (`P`).

use bytes::{BufMut, BytesMut};

use super::describe::Target;
use super::{ProtocolError, Reader, put_cstr, put_frame};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Close {
    pub target: Target,
    pub name: String,
}

impl Close {
    pub fn decode(body: &[u8]) -> Result<Close, ProtocolError> {
        let mut r = Reader::new("Close", body);
        let target = Target::decode(&mut r, "Close")?;
        let name = r.cstr()?.to_string();
        r.finish()?;
        Ok(Close { target, name })
    }

    pub fn encode_as(&self, out: &mut BytesMut, name: &str) {
        put_frame(out, b'C', |b| {
            b.put_u8(self.target.byte());
            put_cstr(b, name);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let c = Close {
            target: Target::Statement,
            name: "s1".into(),
        };
        let mut out = BytesMut::new();
        c.encode_as(&mut out, "s1");
        assert_eq!(Close::decode(&out[5..]), Ok(c));
    }
}
