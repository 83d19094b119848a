//! `Describe` (`D`): the shape of a statement (`S`) or a portal (`P`); `Close` shares its body.

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

/// A message naming a statement or a portal: `Describe` (tag `D`) and `Close` (tag `C`)
/// carry the same body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Named<const TAG: u8> {
    pub target: Target,
    pub name: String,
}

pub type Describe = Named<b'D'>;

impl<const TAG: u8> Named<TAG> {
    /// The message's name, for errors.
    const WHAT: &'static str = if TAG == b'D' { "Describe" } else { "Close" };

    pub fn decode(body: &[u8]) -> Result<Named<TAG>, ProtocolError> {
        let mut r = Reader::new(Self::WHAT, body);
        let target = Target::decode(&mut r, Self::WHAT)?;
        let name = r.cstr()?.to_string();
        r.finish()?;
        Ok(Named { target, name })
    }

    /// The message as the upstream gets it, naming `name` (the gateway's own name for it).
    pub fn encode_as(&self, out: &mut BytesMut, name: &str) {
        put_frame(out, TAG, |b| {
            b.put_u8(self.target.byte());
            put_cstr(b, name);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `message` encoded under its own name decodes back to itself.
    fn round_trip<const TAG: u8>(message: Named<TAG>) {
        let mut out = BytesMut::new();
        message.encode_as(&mut out, &message.name);
        assert_eq!(out[0], TAG);
        assert_eq!(Named::<TAG>::decode(&out[5..]), Ok(message));
    }

    /// `Describe` and `Close` (the same body under another tag).
    #[test]
    fn round_trips() {
        round_trip(Describe {
            target: Target::Portal,
            name: "p1".into(),
        });
        assert!(Describe::decode(b"Xp1\0").is_err());
        round_trip(crate::protocol::close::Close {
            target: Target::Statement,
            name: "s1".into(),
        });
    }
}
