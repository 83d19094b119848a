//! The first packet of a connection: a startup message, an `SSLRequest`, a `GSSENCRequest`
//! or a `CancelRequest`; and the startup message the gateway sends upstream.

use bytes::{BufMut, BytesMut};

use super::{MAX_STARTUP, ProtocolError, Reader, put_cstr};

pub const PROTOCOL_3_0: i32 = 196_608;
const SSL_REQUEST: i32 = 80_877_103;
const GSSENC_REQUEST: i32 = 80_877_104;
const CANCEL_REQUEST: i32 = 80_877_102;

/// What a client's first packet asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Startup {
    /// Protocol 3.`minor` with its parameters (`user`, `database`, ...), in order.
    Start {
        minor: u16,
        params: Vec<(String, String)>,
    },
    Ssl,
    GssEnc,
    Cancel {
        pid: i32,
        key: i32,
    },
}

impl Startup {
    /// The length a startup packet announces in its first four bytes, once they are there.
    pub fn len(head: &[u8]) -> Result<Option<usize>, ProtocolError> {
        if head.len() < 4 {
            return Ok(None);
        }
        let len = i32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        if len < 8 {
            return Err(ProtocolError::BadLength(len.into()));
        }
        if len as usize > MAX_STARTUP {
            return Err(ProtocolError::TooLarge {
                len: len as usize,
                max: MAX_STARTUP,
            });
        }
        Ok(Some(len as usize))
    }

    /// Decodes a whole packet, its length included.
    pub fn decode(packet: &[u8]) -> Result<Startup, ProtocolError> {
        let mut r = Reader::new("startup", packet);
        r.i32()?;
        let code = r.i32()?;
        let bad = |why| ProtocolError::Malformed {
            what: "startup",
            why,
        };
        match code {
            SSL_REQUEST => r.finish().map(|_| Startup::Ssl),
            GSSENC_REQUEST => r.finish().map(|_| Startup::GssEnc),
            CANCEL_REQUEST => {
                let (pid, key) = (r.i32()?, r.i32()?);
                r.finish()?;
                Ok(Startup::Cancel { pid, key })
            }
            _ if code >> 16 == 3 => {
                let mut params = Vec::new();
                loop {
                    let name = r.cstr()?;
                    if name.is_empty() {
                        break;
                    }
                    let value = r.cstr()?;
                    params.push((name.to_string(), value.to_string()));
                }
                r.finish()?;
                Ok(Startup::Start {
                    minor: (code & 0xffff) as u16,
                    params,
                })
            }
            _ if code >> 16 == 2 => Err(bad("protocol version 2 is not supported; use version 3")),
            _ => Err(bad("unknown protocol version")),
        }
    }

    /// A parameter of a `Start` packet.
    pub fn param(&self, name: &str) -> Option<&str> {
        match self {
            Startup::Start { params, .. } => params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str()),
            _ => None,
        }
    }
}

/// Encodes a protocol 3.0 startup message with `params`.
pub fn encode_start(out: &mut BytesMut, params: &[(&str, &str)]) {
    let at = out.len();
    out.put_i32(0);
    out.put_i32(PROTOCOL_3_0);
    for (name, value) in params {
        put_cstr(out, name);
        put_cstr(out, value);
    }
    out.put_u8(0);
    let len = (out.len() - at) as i32;
    out[at..at + 4].copy_from_slice(&len.to_be_bytes());
}

/// Encodes a `CancelRequest` for the server's own process id and key.
pub fn encode_cancel(out: &mut BytesMut, pid: i32, key: i32) {
    out.put_i32(16);
    out.put_i32(CANCEL_REQUEST);
    out.put_i32(pid);
    out.put_i32(key);
}

/// `NegotiateProtocolVersion`: the newest minor version we speak and the options we ignored.
pub fn encode_negotiate(out: &mut BytesMut, unknown: &[&str]) {
    super::put_frame(out, b'v', |b| {
        b.put_i32(PROTOCOL_3_0);
        b.put_i32(unknown.len() as i32);
        for o in unknown {
            put_cstr(b, o);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_startup_message_round_trips() {
        let mut out = BytesMut::new();
        encode_start(&mut out, &[("user", "alice"), ("database", "orders")]);
        assert_eq!(Startup::len(&out), Ok(Some(out.len())));
        let s = Startup::decode(&out).unwrap();
        assert_eq!(s.param("user"), Some("alice"));
        assert_eq!(s.param("database"), Some("orders"));
        assert_eq!(s.param("options"), None);
    }

    #[test]
    fn special_requests_decode() {
        let mut out = BytesMut::new();
        encode_cancel(&mut out, 7, 9);
        assert_eq!(
            Startup::decode(&out),
            Ok(Startup::Cancel { pid: 7, key: 9 })
        );
        let ssl = [0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f];
        assert_eq!(Startup::decode(&ssl), Ok(Startup::Ssl));
    }

    #[test]
    fn oversized_and_garbage_packets_are_errors() {
        let huge = (10_i32 << 20).to_be_bytes();
        assert!(matches!(
            Startup::len(&huge),
            Err(ProtocolError::TooLarge { .. })
        ));
        assert!(Startup::len(&[0, 0, 0, 1]).is_err());
        assert!(Startup::decode(&[0, 0, 0, 8, 0xde, 0xad, 0xbe, 0xef]).is_err());
        assert!(Startup::decode(&[0, 0, 0, 9, 0, 3, 0, 0, b'x']).is_err());
    }
}
