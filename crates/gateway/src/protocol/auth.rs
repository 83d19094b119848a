//! Authentication: the requests a server sends (`R`), and the password and SASL messages
//! (`p`) a client answers with.

use bytes::{BufMut, BytesMut};

use super::{ProtocolError, Reader, put_cstr, put_frame};

/// An `Authentication*` message from a server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuthRequest {
    Ok,
    Cleartext,
    Md5 {
        salt: [u8; 4],
    },
    Sasl {
        mechanisms: Vec<String>,
    },
    SaslContinue {
        data: Vec<u8>,
    },
    SaslFinal {
        data: Vec<u8>,
    },
    /// Kerberos, GSSAPI, SSPI: methods the gateway does not speak.
    Other(i32),
}

impl AuthRequest {
    pub fn decode(body: &[u8]) -> Result<AuthRequest, ProtocolError> {
        let mut r = Reader::new("authentication", body);
        Ok(match r.i32()? {
            0 => AuthRequest::Ok,
            3 => AuthRequest::Cleartext,
            5 => {
                let s = r.take(4)?;
                AuthRequest::Md5 {
                    salt: [s[0], s[1], s[2], s[3]],
                }
            }
            10 => {
                let mut mechanisms = Vec::new();
                loop {
                    let m = r.cstr()?;
                    if m.is_empty() {
                        break;
                    }
                    mechanisms.push(m.to_string());
                }
                AuthRequest::Sasl { mechanisms }
            }
            11 => AuthRequest::SaslContinue {
                data: r.rest().to_vec(),
            },
            12 => AuthRequest::SaslFinal {
                data: r.rest().to_vec(),
            },
            other => AuthRequest::Other(other),
        })
    }

    /// Encodes the requests the gateway itself sends to clients.
    pub fn encode(&self, out: &mut BytesMut) {
        put_frame(out, b'R', |b| match self {
            AuthRequest::Ok => b.put_i32(0),
            AuthRequest::Cleartext => b.put_i32(3),
            AuthRequest::Md5 { salt } => {
                b.put_i32(5);
                b.put_slice(salt);
            }
            AuthRequest::Sasl { mechanisms } => {
                b.put_i32(10);
                for m in mechanisms {
                    put_cstr(b, m);
                }
                b.put_u8(0);
            }
            AuthRequest::SaslContinue { data } => {
                b.put_i32(11);
                b.put_slice(data);
            }
            AuthRequest::SaslFinal { data } => {
                b.put_i32(12);
                b.put_slice(data);
            }
            AuthRequest::Other(code) => b.put_i32(*code),
        });
    }
}

/// A client's cleartext `PasswordMessage`: for the gateway, a wicket token.
pub fn decode_password(body: &[u8]) -> Result<String, ProtocolError> {
    let mut r = Reader::new("password", body);
    let password = r.cstr()?.to_string();
    r.finish()?;
    Ok(password)
}

/// A cleartext or MD5 `PasswordMessage` to a server.
pub fn encode_password(out: &mut BytesMut, password: &[u8]) {
    put_frame(out, b'p', |b| {
        b.put_slice(password);
        b.put_u8(0);
    });
}

/// `SASLInitialResponse`: the mechanism and the client's first message.
pub fn encode_sasl_initial(out: &mut BytesMut, mechanism: &str, data: &[u8]) {
    put_frame(out, b'p', |b| {
        put_cstr(b, mechanism);
        b.put_i32(data.len() as i32);
        b.put_slice(data);
    });
}

/// `SASLResponse`: the client's next message.
pub fn encode_sasl_response(out: &mut BytesMut, data: &[u8]) {
    put_frame(out, b'p', |b| b.put_slice(data));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(req: AuthRequest) {
        let mut out = BytesMut::new();
        req.encode(&mut out);
        assert_eq!(out[0], b'R');
        assert_eq!(AuthRequest::decode(&out[5..]), Ok(req));
    }

    #[test]
    fn requests_round_trip() {
        round_trip(AuthRequest::Ok);
        round_trip(AuthRequest::Cleartext);
        round_trip(AuthRequest::Md5 { salt: [1, 2, 3, 4] });
        round_trip(AuthRequest::Sasl {
            mechanisms: vec!["SCRAM-SHA-256".into()],
        });
        round_trip(AuthRequest::SaslContinue {
            data: b"r=abc".to_vec(),
        });
    }

    #[test]
    fn a_password_is_one_string() {
        let mut out = BytesMut::new();
        encode_password(&mut out, b"wkt_x");
        assert_eq!(decode_password(&out[5..]), Ok("wkt_x".to_string()));
        assert!(decode_password(b"wkt_x").is_err());
    }
}
