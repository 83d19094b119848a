//! `Describe` (`D`): the shape of a statement (`S`) or a portal (`P`).

use bytes::{BufMut, BytesMut};

use super::{ProtocolError, Reader, put_cstr, put_frame};

/// `Describe` and `Close` both name a statement or a portal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    Statement,
    Portal,
}

impl Target {
    pub(super) fn decode(r: &mut Reader<'_>, what: &'static str) -> Result<Target, ProtocolError> {
        match r.u8()? {
            b'S' => Ok(Target::Statement),
            b'P' => Ok(Target::Portal),
            _ => Err(ProtocolError::Malformed {
                what,
                why: "neither a statement nor a portal",
            }),
        }
    }

    pub(super) fn byte(self) -> u8 {
        match self {
            Target::Statement => b'S',
            Target::Portal => b'P',
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Describe {
    pub target: Target,
    pub name: String,
}

impl Describe {
    pub fn decode(body: &[u8]) -> Result<Describe, ProtocolError> {
        let mut r = Reader::new("Describe", body);
        let target = Target::decode(&mut r, "Describe")?;
        let name = r.cstr()?.to_string();
        r.finish()?;
        Ok(Describe { target, name })
    }

    pub fn encode_as(&self, out: &mut BytesMut, name: &str) {
        put_frame(out, b'D', |b| {
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
        let d = Describe {
            target: Target::Portal,
            name: "p1".into(),
        };
        let mut out = BytesMut::new();
        d.encode_as(&mut out, "p1");
        assert_eq!(Describe::decode(&out[5..]), Ok(d));
        assert!(Describe::decode(b"Xp1\0").is_err());
    }
}
